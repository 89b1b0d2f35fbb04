"""Whole poll cycles against simulated plugs on loopback, with the production time limits.

Figures (issue 12), each the wall time of devices' device_poll_all() (python-kasa, database
writes, rollups and events included), with the default KASA_DEVICE_TIMEOUT (1 s) and
KASA_POLL_DEADLINE (1.2 s):
- a cycle of 200 devices <= 0.3 s (median of 5 after a warm-up cycle); of 1,000 <= 1.5 s;
- 10 hung devices (they accept TCP, never answer) among 50: the cycle <= 1.5 s in all;
- after a restart (a fresh process, every device marked offline) every reachable device is
  online after the first cycle.
The simulator (one Node process) shares the 2 cores with the poller, so python-kasa's own
share is printed beside each cycle. Builds its own database (SQLite, or kasa_bench_cycle
when DATABASE_URL is PostgreSQL) and its own Redis unless REDIS_URL is set.

Run: .venv/bin/python benchmarks/bench_cycle.py
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BASE_DIR, bench_database, report, setup_django, vendor_label

HUNG_MS = 60_000


def main() -> int:
    if sys.argv[1:] == ["--one-cycle"]:
        return one_cycle()
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-cycle-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        with bench_database("cycle"):
            setup_django(data_dir)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            return run()
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def one_cycle() -> int:
    """The restart check's child: a fresh process polls once and prints what came online."""
    setup_django(Path(os.environ["KASA_DATA_DIR"]))
    from devices import services
    from devices.models import Device

    started = time.perf_counter()
    summary = services.device_poll_all()
    seconds = time.perf_counter() - started
    online = Device.objects.filter(status=Device.Status.ONLINE, parent__isnull=True).count()
    print(json.dumps({"online": online, "failed": summary.failed, "seconds": seconds}))
    return 0


def fleet(sim_hosts: list[str]) -> None:
    """Adopt the simulated devices as discovery would (identity.upsert of one poll)."""
    from devices import kasa_client
    from devices.identity import upsert

    found = asyncio.run(kasa_client.poll_many([(h, 9999) for h in sim_hosts], timeout=10))
    results = [r for r in found.values() if isinstance(r, kasa_client.PollResult)]
    if len(results) != len(sim_hosts):
        raise SystemExit(f"only {len(results)} of {len(sim_hosts)} simulated devices answered")
    upsert(results)


def cycles(rounds: int) -> list[tuple[float, object]]:
    from devices import services

    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        summary = services.device_poll_all()
        out.append((time.perf_counter() - started, summary))
    return out


def show(label: str, runs: list[tuple[float, object]]) -> float:
    for seconds, s in runs:
        print(f"  {label}: {seconds * 1000:.0f} ms (python-kasa {s.kasa_seconds * 1000:.0f} ms, "
              f"writes+events {s.write_seconds * 1000:.0f} ms, {s.succeeded} ok, "
              f"{s.failed} failed)")  # fmt: skip
    return statistics.median(seconds for seconds, _ in runs)


def run() -> int:
    from devices.models import Device
    from tests.simulator import Simulator, device_spec, free_loopback_block

    print(f"database: {vendor_label()}")
    ok = True
    for count, budget, rounds in ((200, 300, 5), (1000, 1500, 3)):
        hosts = free_loopback_block(count)
        with Simulator([device_spec("hs110", h, alias=f"Plug {i}") for i, h in enumerate(hosts)],
                       ready_timeout=60) as sim:  # fmt: skip
            sim.dynamic(watts=60.0, noise=0.1)
            fleet(hosts)
            cycles(1)  # warm-up: first readings, first rollup rows
            runs = cycles(rounds)
            median = show(f"{count} devices", runs)
            failed = sum(s.failed for _, s in runs)
            ok &= report(f"poll cycle of {count} devices, median (all in)", median * 1000, "ms",
                         budget)  # fmt: skip
            ok &= failed == 0
            if count == 200:
                ok &= restart(count)
        Device.objects.all().delete()
    ok &= unreachable()
    return 0 if ok else 1


def restart(count: int) -> bool:
    """Mark every device offline, then let a fresh process run one cycle."""
    from devices.models import Device

    Device.objects.update(status=Device.Status.OFFLINE, offline_reason="unreachable",
                          failed_polls=10)  # fmt: skip
    from django.db import connections

    connections.close_all()
    child = subprocess.run(
        [sys.executable, __file__, "--one-cycle"],
        cwd=BASE_DIR, env=dict(os.environ), capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"  after a restart: {result['online']} of {count} online after the first cycle "
          f"({result['seconds'] * 1000:.0f} ms incl. the process's first queries)")  # fmt: skip
    return report("reachable devices online at the first cycle after a restart",
                  result["online"], "devices", count, lower_is_better=False)  # fmt: skip


def unreachable() -> bool:
    from devices.models import Device
    from tests.simulator import Simulator, device_spec, free_loopback_block

    hosts = free_loopback_block(50)
    with Simulator([device_spec("hs110", h) for h in hosts]) as sim:
        fleet(hosts)
        cycles(1)
        for host in hosts[:10]:
            sim.delay(host, HUNG_MS)  # accepts TCP, never answers in time
        runs = cycles(3)
    median = show("50 devices, 10 hung", runs)
    Device.objects.all().delete()
    hung_failed = all(s.failed == 10 for _, s in runs)
    print(f"  every cycle failed exactly the 10 hung devices: {hung_failed}")
    return report("poll cycle, 10 hung devices among 50, median", median * 1000, "ms", 1500)


if __name__ == "__main__":
    sys.exit(main())
