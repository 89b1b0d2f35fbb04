"""GET /health p99 at 50 concurrent keep-alive connections against `make run`'s web process.

Budget (issue 2): p99 under 10 ms. The load comes from wrk (Debian's `wrk` package) when it
is installed: a C load generator leaves the cores to the server. Without it the asyncio
load generator in loadgen.py is used, which needs about as much CPU as the server and so
inflates every figure (printed as such). Three rounds of 5 s; the median round is reported. Runs the web process as `make run` does
(WEB_WORKERS=1) and, on a machine with two or more cores, with WEB_WORKERS=2 as well.
WEB_SERVER=daphne measures daphne instead of uvicorn (one process only).

Run: .venv/bin/python benchmarks/bench_health.py
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import (
    BASE_DIR,
    bench_database,
    bench_env,
    free_port,
    percentile,
    process,
    report,
    wait_http,
)
from loadgen import load

CONNECTIONS, SECONDS, ROUNDS = 50, 5, 3  # the median round is reported: this VM is noisy
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(port: int, seconds: int) -> tuple[float, float, float]:
    """Return (p50 ms, p99 ms, requests/s) from one wrk run."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
         f"http://127.0.0.1:{port}/health"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if re.search(r"Non-2xx|Socket errors", out):
        raise RuntimeError(out)

    def ms(pct: str) -> float:
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)$", out, re.M).groups()
        return float(value) * UNITS[unit]

    return ms("50"), ms("99"), float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])


def _loadgen(port: int, seconds: int) -> tuple[float, float, float]:
    latencies, errors = asyncio.run(
        load("127.0.0.1", port, "/health", connections=CONNECTIONS, seconds=seconds)
    )
    if errors:
        raise RuntimeError(f"{len(errors)} errors, e.g. {errors[0]!r}")
    pct = [percentile(latencies, p) * 1000 for p in (50, 99)]
    return pct[0], pct[1], len(latencies) / seconds


def measure(data_dir: Path, env: dict[str, str], workers: int) -> bool:
    port = free_port()
    args = [sys.executable, "-m", "kasamonitor.serve"]
    run = _wrk if shutil.which("wrk") else _loadgen
    with process(
        args, {**env, "PORT": str(port), "WEB_WORKERS": str(workers)}, data_dir / "web.log"
    ):
        wait_http(f"http://127.0.0.1:{port}/health")
        run(port, 2)  # warm up
        rounds = sorted((run(port, SECONDS) for _ in range(ROUNDS)), key=lambda r: r[1])
    tool = "wrk" if run is _wrk else "asyncio load generator (inflated)"
    server = env.get("WEB_SERVER", "uvicorn")
    label = (
        f"GET /health @ {CONNECTIONS} connections, {workers} {server} process{'es' * (workers > 1)}"
    )
    shown = ", ".join(f"p99 {p99:.1f} ms at {rate:.0f} req/s" for _, p99, rate in rounds)
    print(f"{label}, {ROUNDS} rounds of {SECONDS} s ({tool}): {shown}")
    p50, p99, _ = rounds[len(rounds) // 2]
    ok = report(f"{label} p99", p99, "ms", 10)
    report(f"{label} p50", p50, "ms", 10)
    return ok


def main() -> int:
    with bench_database("health"):
        return run()


def run() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-health-"))
    env = bench_env(data_dir)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    ok = measure(data_dir, env, 1)
    if (os.cpu_count() or 1) >= 2 and env.get("WEB_SERVER", "uvicorn") == "uvicorn":
        ok = measure(data_dir, env, 2) or ok
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
