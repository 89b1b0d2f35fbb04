"""Start-up: `make run`'s launcher on a warm virtualenv until /health/ready answers 200.

The first start (fresh data dir: migrations, static files) is shown for information; the
budget applies to a restart on an existing data dir, as after a reboot or an upgrade.
Run: .venv/bin/python benchmarks/bench_startup.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _common import bench_database, bench_env, free_port, process, report, wait_http


def start_once(data_dir: Path, label: str) -> float:
    port = free_port()
    env = bench_env(data_dir, PORT=str(port), CELERY_QUEUE=f"bench-{port}")
    env.pop("REDIS_URL", None) if "--embedded" in sys.argv else None
    started = time.monotonic()
    with process([sys.executable, "-m", "kasamonitor.run"], env, data_dir / f"{label}.log"):
        wait_http(f"http://127.0.0.1:{port}/health/ready", timeout=120)
        return time.monotonic() - started


def main() -> int:
    with bench_database("startup"):
        return run()


def run() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-start-"))
    first = start_once(data_dir, "first")
    print(f"first start on an empty data dir (migrate + collectstatic): {first:.2f} s")
    restart = min(start_once(data_dir, f"restart{i}") for i in range(2))
    ok = report("make run restart -> /health/ready 200", restart, "s", 5)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
