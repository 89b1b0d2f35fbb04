"""Memory of the whole `make run` while polling 200 devices: RSS of every process and the total.

Target (issue 24): all processes together <= 250 MiB RSS (stretch: <= 183 MiB, the original
Kasa Monitor's one process); issue 12's per-process budgets (web <= 150, worker <= 200) are
printed too. `python -m kasamonitor.run` runs with make run's defaults (the Procfile: one
web process, one worker of WORKER_CONCURRENCY=4 threads with the scheduler in a thread,
the launcher, and its embedded Redis) on a data directory whose database this script
migrated and filled with 200 simulated HS110 plugs on loopback addresses. The real poll task
runs 15 times, sent through make run's Redis, while a client reads /api/devices and
history; then the processes settle for a few seconds. Each process's RSS is its peak over
the run; the total is the peak of the sum (PSS, which shares pages between processes
fairly, printed beside it). Job processes (exports, backups) count when they run; none
does here.
Builds its own database (SQLite, or kasa_bench_memory when DATABASE_URL is PostgreSQL).

Run: .venv/bin/python benchmarks/bench_memory.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    Client,
    admin_token,
    bench_database,
    bench_env,
    free_port,
    process,
    report,
    setup_django,
    vendor_label,
    wait_http,
)

DEVICES = 200
CYCLES = 15
TARGET = 250  # MiB, issue 24
STRETCH = 183  # MiB, the original's one process


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-memory-"))
    try:
        with bench_database("memory"):
            queue = f"bench-memory-{time.time_ns()}"
            os.environ.pop("REDIS_URL", None)  # make run's own embedded Redis, as by default
            return run(data_dir, queue)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def kind(proc) -> str:
    """Which of make run's processes this is, from its command line."""
    line = " ".join(proc.cmdline())
    if "redis-server" in line:
        return "redis"
    if "kasamonitor.run" in line:
        return "launcher"
    if "kasamonitor.serve" in line:
        return "web"
    if "kasamonitor.worker" in line or ("celery" in line and "worker" in line):
        return "worker"
    if "celery" in line and " beat" in line:
        return "beat"  # a separate scheduler process, as make run had before issue 24
    return "job " + proc.name()


def sample(launcher_pid: int) -> dict[str, tuple[float, float]]:
    """(RSS, PSS) in MiB of every process of make run, by kind."""
    import psutil

    root = psutil.Process(launcher_pid)
    out: dict[str, tuple[float, float]] = {}
    for proc in [root, *root.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
            name = kind(proc)
        except psutil.NoSuchProcess:
            continue
        rss, pss = out.get(name, (0.0, 0.0))
        out[name] = (rss + info.rss / 2**20, pss + info.pss / 2**20)
    return out


def run(data_dir: Path, queue: str) -> int:
    from tests.simulator import Simulator, device_spec, free_loopback_block

    hosts = free_loopback_block(DEVICES)
    specs = [device_spec("hs110", h, alias=f"Plug {i}") for i, h in enumerate(hosts)]
    port = free_port()
    env = bench_env(data_dir, CELERY_QUEUE=queue, PORT=str(port))
    for name in ("REDIS_URL", "WORKER_CONCURRENCY", "WEB_WORKERS", "WEB_SERVER"):
        env.pop(name, None)  # make run's defaults
    peak: dict[str, float] = {}
    peak_pss: dict[str, float] = {}
    peak_total = peak_total_pss = 0.0

    def measure(launcher_pid: int) -> None:
        nonlocal peak_total, peak_total_pss
        now = sample(launcher_pid)
        for name, (rss, pss) in now.items():
            peak[name] = max(peak.get(name, 0.0), rss)
            peak_pss[name] = max(peak_pss.get(name, 0.0), pss)
        peak_total = max(peak_total, sum(rss for rss, _ in now.values()))
        peak_total_pss = max(peak_total_pss, sum(pss for _, pss in now.values()))

    with Simulator(specs, ready_timeout=60) as sim:
        sim.dynamic(watts=60.0, noise=0.1)
        args = [sys.executable, "-m", "kasamonitor.run"]
        # make run prepares this empty data directory itself (its web process does).
        with process(args, env, data_dir / "run.log") as launcher:
            wait_http(f"http://127.0.0.1:{port}/health/ready", timeout=120)
            # This process adds the devices and sends the poll tasks through make run's
            # database and Redis (the URL file its launcher writes).
            os.environ["REDIS_URL"] = (data_dir / "redis" / "url").read_text().strip()
            setup_django(data_dir, CELERY_QUEUE=queue)
            from bench_cycle import fleet
            from django.db import connections

            from devices.tasks import poll_devices

            token = admin_token()
            fleet(hosts)
            connections.close_all()

            client = Client(port, token)
            for _ in range(CYCLES):
                poll_devices.delay()
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    client.get("/api/devices")
                    client.get(f"/api/device/{hosts[0]}/history?interval=raw")
                    measure(launcher.pid)
            client.close()
            for _ in range(10):  # settled: polling goes on, nobody reads
                time.sleep(0.5)
                measure(launcher.pid)
            from devices.models import Reading

            readings = Reading.objects.count()
    print(f"{vendor_label()}: {readings} readings written by the worker in {CYCLES} cycles "
          f"(at most {DEVICES * CYCLES}: a poll run still holding the lock skips the next)")  # fmt: skip
    for name in sorted(peak, key=lambda n: -peak[n]):
        print(f"  {name:<10} RSS {peak[name]:6.1f} MiB   PSS {peak_pss[name]:6.1f} MiB")
    print(f"  {'all':<10} RSS {peak_total:6.1f} MiB   PSS {peak_total_pss:6.1f} MiB  "
          f"(peaks of the sums; stretch target {STRETCH} MiB RSS)")  # fmt: skip
    ok = report(f"make run, all processes' RSS, {DEVICES} devices polling", peak_total, "MiB",
                TARGET)  # fmt: skip
    ok &= report("web process RSS", peak.get("web", 0.0), "MiB", 150)
    ok &= report("worker process RSS (with the scheduler thread)", peak.get("worker", 0.0),
                 "MiB", 200)  # fmt: skip
    return 0 if ok and readings >= DEVICES * CYCLES // 2 else 1


if __name__ == "__main__":
    sys.exit(main())
