"""Memory while polling 200 devices: RSS of one web process and of the Celery worker.

Budget (issue 12): web process <= 150 MiB RSS, worker <= 200 MiB. The worker runs with
`make run`'s Procfile command and defaults (one process, a pool of WORKER_CONCURRENCY=4
threads); its figure is the sum over the worker and any process under it (PSS printed
beside it). 200 simulated HS110 plugs are polled by the real poll task 15 times while a
client reads /api/devices and history.
Builds its own database (SQLite, or kasa_bench_memory when DATABASE_URL is PostgreSQL).

Run: .venv/bin/python benchmarks/bench_memory.py
"""

from __future__ import annotations

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
    process,
    report,
    rss_mib,
    setup_django,
    vendor_label,
    web_server,
)

DEVICES = 200
CYCLES = 15


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-memory-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        with bench_database("memory"):
            queue = f"bench-memory-{time.time_ns()}"
            setup_django(data_dir, CELERY_QUEUE=queue)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            return run(data_dir, queue)
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def pss_mib(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    return sum(p.memory_full_info().pss for p in procs) / 2**20


def run(data_dir: Path, queue: str) -> int:
    from bench_cycle import fleet
    from django.db import connections

    from devices.tasks import poll_devices
    from tests.simulator import Simulator, device_spec, free_loopback_block

    token = admin_token()
    hosts = free_loopback_block(DEVICES)
    specs = [device_spec("hs110", h, alias=f"Plug {i}") for i, h in enumerate(hosts)]
    from kasamonitor.run import processes

    env = bench_env(data_dir, CELERY_QUEUE=queue, WORKER_CONCURRENCY="4")
    worker_args = ["sh", "-c", processes()["worker"]]  # `exec celery …`: the pid is celery's
    with Simulator(specs, ready_timeout=60) as sim:
        sim.dynamic(watts=60.0, noise=0.1)
        fleet(hosts)
        connections.close_all()
        with (
            web_server(data_dir, CELERY_QUEUE=queue) as (port, web),
            process(worker_args, env, data_dir / "worker.log") as worker,
        ):
            client = Client(port, token)
            time.sleep(3)  # the worker's pool starts
            web_peak = worker_peak = worker_pss = 0.0
            for _ in range(CYCLES):
                poll_devices.delay()
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    client.get("/api/devices")
                    client.get(f"/api/device/{hosts[0]}/history?interval=raw")
                    web_peak = max(web_peak, rss_mib(web.pid))
                    worker_peak = max(worker_peak, rss_mib(worker.pid, tree=True))
                worker_pss = max(worker_pss, pss_mib(worker.pid))
            client.close()
            from devices.models import Reading

            readings = Reading.objects.count()
    print(f"{vendor_label()}: {readings} readings written by the worker in {CYCLES} cycles "
          f"(at most {DEVICES * CYCLES}: a poll run still holding the lock skips the next); worker PSS {worker_pss:.0f} MiB")  # fmt: skip
    ok = report(f"web process RSS while polling {DEVICES} devices", web_peak, "MiB", 150)
    ok &= report(f"worker RSS while polling {DEVICES} devices", worker_peak, "MiB", 200)
    return 0 if ok and readings >= DEVICES * CYCLES // 2 else 1


if __name__ == "__main__":
    sys.exit(main())
