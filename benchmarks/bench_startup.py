"""Start-up of `make run` (its defaults, its own embedded Redis) on a warm virtualenv.

Targets (issue 24): restart -> first authenticated API answer (GET /api/devices with a
token, 200) <= 1.0 s; start on an empty data directory -> first answer (GET /health, 200;
there is no account yet) <= 1.5 s. The empty data directory's start makes the SQLite
database from kasamonitor/sqlite_schema.sql and finds the static files collected (the
Makefile's install step collects them, as this script does before it starts the clock); a
restart finds both unchanged (checked at each start) and does neither.
/health/ready (which also needs the worker's heartbeat) is printed beside each figure.
The restart figure is the best of three. Timings depend on the machine's other load: run
it on a quiet machine. bench_year.py measures the restart on a 5.26 M-reading database
with the same function.

Run: .venv/bin/python benchmarks/bench_startup.py
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    admin_token,
    bench_database,
    bench_env,
    free_port,
    process,
    report,
    setup_django,
)


def _status(port: int, path: str, token: str = "") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


def _cpu(launcher_pid: int) -> float:
    """CPU seconds (user + system) used so far by make run's launcher, its web process and
    the processes that ended before it answered (children's times are not counted: the
    worker runs beside the web process, not before it)."""
    import psutil

    root = psutil.Process(launcher_pid)
    total = sum(root.cpu_times()[:2])
    for child in root.children(recursive=True):  # honcho once put a process between
        if "kasamonitor.serve" in " ".join(child.cmdline()):
            total += sum(child.cpu_times()[:2])
    return total


CPU: list[float] = []  # CPU seconds to the first answer, one per start_once


def start_once(data_dir: Path, label: str, token: str = "", keep=None) -> tuple[float, float]:
    """Start make run; return (seconds to the first answer, seconds to /health/ready). The
    first answer is GET /api/devices with `token`, or GET /health without one. With `keep`,
    call keep() while make run still runs (to make an account on the new database). The
    CPU seconds the launcher and the web process had used at the first answer, a figure
    other load on the machine hardly changes, are appended to CPU."""
    port = free_port()
    env = bench_env(data_dir, PORT=str(port), CELERY_QUEUE=f"bench-{port}")
    env.pop("REDIS_URL", None)  # make run's defaults: its own embedded Redis
    path = "/api/devices" if token else "/health"
    started = time.monotonic()
    with process([sys.executable, "-m", "kasamonitor.run"], env, data_dir / f"{label}.log") as proc:
        first = ready = None
        while time.monotonic() - started < 300:  # a shared, busy machine can take minutes
            now = time.monotonic() - started
            if first is None and _status(port, path, token) == 200:
                first = now
                CPU.append(_cpu(proc.pid))
            if first is not None and _status(port, "/health/ready") == 200:
                ready = time.monotonic() - started
                break
            time.sleep(0.01)
        if ready is None:
            raise TimeoutError(f"make run did not become ready: see {data_dir / label}.log")
        if keep:
            keep()
    return first, ready


def main() -> int:
    with bench_database("startup"):
        return run()


def run() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-start-"))
    token = ""

    def make_account() -> None:
        nonlocal token
        os.environ["REDIS_URL"] = (data_dir / "redis" / "url").read_text().strip()
        setup_django(data_dir)
        from django.db import connections

        token = admin_token()
        connections.close_all()

    try:
        # make run's install step (the Makefile's): a no-op when the sources are collected
        subprocess.run([sys.executable, "-m", "kasamonitor.prepare", "static"],
                       env=bench_env(data_dir), check=True)  # fmt: skip
        first, first_ready = start_once(data_dir, "first", keep=make_account)
        print(f"empty data dir (schema file, static collected at install): first answer {first:.2f} s "
              f"(launcher + web CPU {CPU[0]:.2f} s), /health/ready {first_ready:.2f} s")  # fmt: skip
        restarts = [start_once(data_dir, f"restart{i}", token) for i in range(3)]
        for (answer, ready), cpu in zip(restarts, CPU[1:], strict=True):
            print(f"restart: first authenticated answer {answer:.2f} s (launcher + web CPU "
                  f"{cpu:.2f} s), /health/ready {ready:.2f} s")  # fmt: skip
        ok = report("make run restart -> first authenticated API answer",
                    min(a for a, _ in restarts), "s", 1.0)  # fmt: skip
        ok &= report("make run on an empty data dir -> first answer", first, "s", 1.5)
        return 0 if ok else 1
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
