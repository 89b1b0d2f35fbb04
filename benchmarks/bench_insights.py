"""GET /api/insights/standby, /bill-projection and /changes on a year of data: 10 devices
x 365 days of hourly rollups and stored hourly costs (issue 21's 50-ms budget). Each
answer carries its kg of CO2 (issue 21 item 5) at a grid intensity with hour-of-day and
month overrides; GET /api/grid-intensity and the year's GET /api/costs (kg CO2 per device
and day beside the costs) are timed too.

The insights read only the hourly rollups (night hours' mean power; the household's hours
of the period and of the last 28 days) and the stored hourly costs, never the raw readings,
so the year's 5,256,000 one-minute readings of `yeardata.py` are not created here: their
hourly rollups are (the same rows bench_year.py's SQL makes from them). The plan is a
time-of-use plan with tiers and a service charge, the slowest pricing.

Each answer is timed as worked out (INSIGHTS_CACHE_SECONDS=0: the budget's figure, what a
request pays once a minute) and as served from the cache (the other requests of the minute).
Then, in a process of its own, the appliance runs (`--runs` for that phase alone): on
`make bench`'s year of one-minute readings (yeardata.py, 5,256,000 rows), a year of runs is
detected (the worker's first pass), a poll's detection is timed, and GET /api/insights/runs
and /api/insights/appliances/{id} are timed.

Run: .venv/bin/python benchmarks/bench_insights.py   (SQLite in a temp dir; with
DATABASE_URL on PostgreSQL its own databases kasa_bench_insights and
kasa_bench_insights_runs, created and dropped).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _common import bench_database, report, setup_django

DEVICES = 10
DAYS = 365
END = datetime(2024, 6, 17, 9, 30, tzinfo=UTC)  # mid-period, mid-hour
START = END.replace(minute=0) - timedelta(days=DAYS)
PLAN = {
    "rate_type": "combined",
    "timezone": "Europe/Berlin",
    "time_of_use_rates": [
        {"start_hour": 7, "end_hour": 21, "rate": 0.12, "days_of_week": [0, 1, 2, 3, 4]},
    ],
    "default_rate": 0.05,
    "tier_rates": [{"max_kwh": 300, "rate": 0.10}, {"max_kwh": None, "rate": 0.15}],
    "monthly_service_charge": 9.5,
    "tax": {"rate": 7},
}
TOU = {key: value for key, value in PLAN.items() if key != "tier_rates"} | {
    "rate_type": "time_of_use"
}
BUDGET_MS = 50
COSTS_YEAR_BUDGET_MS = 500  # bench_costs.py's budget for a year of /api/costs
INTENSITY = {
    "default_g_per_kwh": 380,
    "overrides": [
        {"start_hour": 11, "end_hour": 16, "start_month": 4, "end_month": 9, "g_per_kwh": 190},
        {"start_hour": 17, "end_hour": 21, "g_per_kwh": 520},
        {"start_month": 11, "end_month": 2, "g_per_kwh": 450},
    ],
}


def build() -> None:
    """Devices, a year of hourly rollups (power and energy) and their stored costs."""
    from billing import selectors, services
    from billing.costs.daily import summarise_days
    from billing.models import HourlyCost, RepriceRequest
    from devices.models import Device, HourlyRollup

    rng = random.Random(1)
    devices = Device.objects.bulk_create(
        Device(device_id=f"50:C7:BF:00:00:{n:02X}", mac=f"50:C7:BF:00:00:{n:02X}",
               host=f"127.0.1.{n + 1}", alias=f"Plug {n}")
        for n in range(DEVICES)
    )  # fmt: skip
    hours = [START + timedelta(hours=n) for n in range(DAYS * 24)]
    for n, device in enumerate(devices):
        standby = 2.0 + n
        rollups = []
        for hour in hours:
            watts = standby + (rng.uniform(0, 300) if rng.random() < 0.3 else rng.uniform(0, 1))
            rollups.append(HourlyRollup(
                device=device, hour=hour, energy_kwh=round(watts / 1000, 6), samples=60,
                power_sum_w=watts * 60, max_power_w=watts * 1.5,
            ))  # fmt: skip
        HourlyRollup.objects.bulk_create(rollups, batch_size=5000)
        HourlyCost.objects.bulk_create(
            (HourlyCost(device=device, hour=r.hour, kwh=r.energy_kwh,
                        cost=Decimal(str(r.energy_kwh)) * Decimal("0.12"),
                        co2_g=r.energy_kwh * 380)
             for r in rollups),
            batch_size=5000,
        )  # fmt: skip
    services.rate_plan_save(PLAN, now=START - timedelta(days=1))
    services.grid_intensity_save(INTENSITY)
    RepriceRequest.objects.all().delete()  # the costs above stand in for the pipeline's
    # ... and so do their daily sums, which /api/costs reads for whole days
    summarise_days(selectors.plan_versions(), START, END + timedelta(hours=1))


def timed_get(client, url: str, runs: int = 21, at: datetime = END) -> tuple[float, float]:
    import time_machine

    with time_machine.travel(at, tick=False):
        client.get(url)  # warm up (and the closed period's check, written once)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = client.get(url)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.content[:500]
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def _profile(client, url: str, at: datetime = END) -> None:
    import cProfile
    import pstats

    import time_machine

    with time_machine.travel(at, tick=False), cProfile.Profile() as profile:
        client.get(url)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(
        "insights/|billing/|execute|selectors|sql", 45
    )


def main() -> int:
    if "--runs-only" in sys.argv:
        with bench_database("insights_runs"):
            return run_runs()
    if "--runs" not in sys.argv:  # the appliance runs' phase needs the year of readings
        with bench_database("insights"):
            ok = run() == 0
    else:
        ok = True
    # A process of its own: the year of readings is built on the UTC clock (yeardata.py).
    # (without the first phase's TIME_ZONE, which setup_django put in the environment)
    env = {k: v for k, v in os.environ.items() if k != "TIME_ZONE"}
    child = subprocess.run(
        [sys.executable, __file__, "--runs-only", *sys.argv[1:]], check=False, env=env
    )
    return 0 if ok and child.returncode == 0 else 1


def run() -> int:
    setup_django(TIME_ZONE="Europe/Berlin")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import User
    from devices.models import Device, HourlyRollup

    call_command("migrate", verbosity=0)
    if Device.objects.exists():
        print("The database is not empty; point DATABASE_URL at an empty one.")
        return 2
    build()
    print(f"{connection.vendor}: {DEVICES} devices x {DAYS} days = "
          f"{HourlyRollup.objects.count()} hourly rollups and stored hourly costs")  # fmt: skip
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.force_authenticate(User.objects.create(username="bench", role="viewer"))
    ok = True
    from billing import services

    for label, plan in (("time-of-use + tiers", PLAN), ("time-of-use", TOU)):
        services.rate_plan_save(plan, now=START - timedelta(days=1))  # replaces the plan
        for name in ("standby", "bill-projection", "changes"):
            settings.INSIGHTS_CACHE_SECONDS = 0  # worked out on every request
            median, p95 = timed_get(client, f"/api/insights/{name}")
            ok &= report(f"GET /api/insights/{name}, {label}, {DEVICES} devices, a year "
                         f"({connection.vendor})", median, "ms", BUDGET_MS)  # fmt: skip
            print(f"  p95 {p95:.1f} ms")
            if "--profile" in sys.argv:
                _profile(client, f"/api/insights/{name}")
            settings.INSIGHTS_CACHE_SECONDS = 60
            median, p95 = timed_get(client, f"/api/insights/{name}")
            print(f"  from the cache: median {median:.1f} ms, p95 {p95:.1f} ms")
    median, p95 = timed_get(client, "/api/grid-intensity")
    ok &= report(f"GET /api/grid-intensity ({connection.vendor})", median, "ms", BUDGET_MS)
    print(f"  p95 {p95:.1f} ms")
    first, last = START.date() + timedelta(days=1), END.date() - timedelta(days=1)
    url = f"/api/costs?start_date={first}&end_date={last}"
    median, p95 = timed_get(client, url, runs=11)
    ok &= report(f"GET /api/costs, a year with kg CO2, {DEVICES} devices ({connection.vendor})",
                 median, "ms", COSTS_YEAR_BUDGET_MS)  # fmt: skip
    print(f"  p95 {p95:.1f} ms")
    return 0 if ok else 1


# -- appliance runs: on `make bench`'s year of one-minute readings (yeardata.py) ------------

RUNS_END = datetime(2024, 6, 17, 9, 0, tzinfo=UTC)


def run_runs() -> int:
    """Detect a year of runs, then time a poll's detection and GET /api/insights/runs.

    yeardata's power is 40 + 10 x device + 5 x UTC hour W: with each device's threshold at
    its 18:00 power, it runs from 18:00 to midnight every day (365 runs of 6 hours)."""
    setup_django()
    import yeardata
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import User
    from billing import services as billing_services
    from insights import services
    from insights.models import ApplianceRun, ApplianceSettings

    call_command("migrate", verbosity=0)
    built = yeardata.build(end=RUNS_END)
    print(f"{connection.vendor}: {built['readings']:,} one-minute readings in "
          f"{built['seconds']:.0f} s")  # fmt: skip
    for n, device in enumerate(built["devices"]):
        ApplianceSettings.objects.create(
            device=device, kind="custom", threshold_w=yeardata.power(n, RUNS_END.replace(hour=18)),
            min_run_minutes=30, max_gap_minutes=5, detected_until=built["start"],
        )  # fmt: skip
    started = time.perf_counter()
    services.appliance_runs_detect(now=RUNS_END)
    seconds = time.perf_counter() - started
    ok = report(f"first detection, a year of readings, {yeardata.DEVICES} devices "
                f"({connection.vendor})", seconds, "s", 600)  # fmt: skip
    print(f"  {ApplianceRun.objects.count()} runs stored")
    ok &= _time_a_poll(built["devices"], services, connection)
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.force_authenticate(User.objects.create(username="bench", role="viewer"))
    device = built["devices"][-1]
    for label, plan in (("time-of-use + tiers", PLAN), ("time-of-use", TOU)):
        billing_services.rate_plan_save(plan, now=built["start"] - timedelta(days=1))
        for url in (f"/api/insights/runs?device_id={device.pk}&limit=20",
                    f"/api/insights/appliances/{device.pk}"):  # fmt: skip
            median, p95 = timed_get(client, url, at=RUNS_END + timedelta(minutes=1))
            name = url.split("?")[0].replace(str(device.pk), "{id}")
            ok &= report(f"GET {name}, {label}, a year of runs ({connection.vendor})",
                         median, "ms", BUDGET_MS)  # fmt: skip
            print(f"  p95 {p95:.1f} ms")
            if "--profile" in sys.argv:
                _profile(client, url, at=RUNS_END + timedelta(minutes=1))
    return 0 if ok else 1


def _time_a_poll(devices, services, connection) -> bool:
    """One more minute of readings for every device, then the detection a poll queues."""
    from devices.models import Reading

    at = RUNS_END + timedelta(minutes=1)
    Reading.objects.bulk_create(
        Reading(device=d, timestamp=at, power_w=1.0, energy_delta_kwh=0.0) for d in devices
    )
    started = time.perf_counter()
    services.appliance_runs_detect([d.pk for d in devices], now=at)
    ms = (time.perf_counter() - started) * 1000
    return report(f"detection after a poll, {len(devices)} devices ({connection.vendor})",
                  ms, "ms", 500)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
