"""GET /health p99 at 50 concurrent keep-alive connections against one daphne process.

Run: .venv/bin/python benchmarks/bench_health.py
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import BASE_DIR, bench_env, free_port, percentile, process, report, wait_http
from loadgen import load


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-health-"))
    env = bench_env(data_dir)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    port = free_port()
    args = [sys.executable, "-m", "kasamonitor.serve"]
    with process(args, {**env, "PORT": str(port)}, data_dir / "web.log"):
        wait_http(f"http://127.0.0.1:{port}/health")
        asyncio.run(load("127.0.0.1", port, "/health", connections=50, seconds=1))  # warm up
        latencies, errors = asyncio.run(
            load("127.0.0.1", port, "/health", connections=50, seconds=5)
        )
    print(f"{len(latencies)} requests, {len(latencies) / 5:.0f} req/s, {len(errors)} errors")
    ok = report("GET /health p99 @ 50 connections", percentile(latencies, 99) * 1000, "ms", 10)
    report("GET /health p50 @ 50 connections", percentile(latencies, 50) * 1000, "ms", 10)
    return 0 if ok and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
