"""A 200-device poll cycle against simulated plugs on loopback: python-kasa time vs our writes.

Budget (issue 12): DB writes + events of one 200-device cycle <= 0.3 s beyond python-kasa's
own time. Builds its own SQLite database (or DATABASE_URL), embedded Redis and fleet.

Run: .venv/bin/python benchmarks/bench_poll.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from _common import BASE_DIR, bench_database, report, setup_django

DEVICES = 200
ROUNDS = 5


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-poll-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        # The simulator (one Node process) is slower than 200 real plugs; give it time, so
        # every round measures writes for the full fleet.
        with bench_database("poll"):
            setup_django(data_dir, KASA_POLL_DEADLINE="15", KASA_DEVICE_TIMEOUT="10")
            return run()
    finally:
        if redis:
            redis.stop()


def run() -> int:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from devices import services
    from devices.identity import upsert
    from devices.models import HourlyRollup, Reading
    from tests.simulator import Simulator, device_spec, free_loopback_block

    sys.path.insert(0, str(BASE_DIR))
    hosts = free_loopback_block(DEVICES)
    specs = [device_spec("hs110", host, alias=f"Plug {n}") for n, host in enumerate(hosts)]
    with Simulator(specs) as sim:
        sim.dynamic(watts=60.0, noise=0.1)  # power and counters move, like real plugs
        import asyncio

        from devices import kasa_client

        found = asyncio.run(kasa_client.poll_many([(h, 9999) for h in hosts], timeout=5))
        upsert([r for r in found.values() if isinstance(r, kasa_client.PollResult)])
        kasa, writes, hooks, failed = [], [], [], 0
        for _ in range(ROUNDS + 1):
            summary = services.device_poll_all()
            kasa.append(summary.kasa_seconds)
            writes.append(summary.write_seconds - summary.hook_seconds)
            hooks.append(summary.hook_seconds)
            failed += summary.failed
    # the first round warms caches and connections
    kasa, writes, hooks = kasa[1:], writes[1:], hooks[1:]
    print(
        f"{DEVICES} devices x {ROUNDS} rounds: {Reading.objects.count()} readings, "
        f"{HourlyRollup.objects.count()} hourly rollups, {failed} failed polls"
    )
    report(
        f"poll cycle, python-kasa time ({DEVICES} devices) median",
        statistics.median(kasa) * 1000,
        "ms",
        5000,
    )
    ok = report(
        f"poll cycle, DB writes + events beyond kasa ({DEVICES}) median",
        statistics.median(writes) * 1000, "ms", 300,
    )  # fmt: skip
    report(
        f"poll cycle, DB writes + events beyond kasa ({DEVICES}) max", max(writes) * 1000, "ms", 300
    )
    return 0 if ok and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
