"""GET /api/costs over stored hourly costs: one month and one whole year, 50 devices.

Run: .venv/bin/python benchmarks/bench_costs.py   (SQLite in a temp dir; with DATABASE_URL
on PostgreSQL its own database kasa_bench_costs, created and dropped by the script).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _common import bench_database, report, setup_django

DEVICES = 50
DAYS = 365
START = datetime(2023, 1, 1, tzinfo=UTC)
PLAN = {
    "rate_type": "time_of_use",
    "timezone": "UTC",
    "time_of_use_rates": [
        {"start_hour": 21, "end_hour": 7, "rate": 0.08},
        {"start_hour": 7, "end_hour": 21, "rate": 0.21},
    ],
    "monthly_service_charge": 9.5,
    "demand_charge_per_kw": 1.25,  # the slowest case: demand is read from stored hours
    "tax": {"rate": 7},
}


def build() -> tuple[int, float]:
    """Create the devices and a year of hourly rollups and their costs.

    The pipeline prices June (timed, for information); the other months' costs are
    written directly at a flat 0.15, because only reading them is measured here.
    Return (device-hours priced by the pipeline, seconds it took).
    """
    from billing import services
    from billing.costs.daily import summarise_days
    from billing.models import HourlyCost, RepriceRequest
    from billing.selectors import plan_versions
    from devices.models import Device, HourlyRollup

    rng = random.Random(1)
    devices = Device.objects.bulk_create(
        Device(device_id=f"50:C7:BF:00:00:{n:02X}", mac=f"50:C7:BF:00:00:{n:02X}",
               host=f"127.0.1.{n + 1}", alias=f"Plug {n}")
        for n in range(DEVICES)
    )  # fmt: skip
    hours = [START + timedelta(hours=n) for n in range(DAYS * 24)]
    june = (datetime(2023, 6, 1, tzinfo=UTC), datetime(2023, 7, 1, tzinfo=UTC))
    for device in devices:
        rollups = [
            HourlyRollup(device=device, hour=h, energy_kwh=round(rng.uniform(0, 0.3), 5),
                         samples=60)
            for h in hours
        ]  # fmt: skip
        HourlyRollup.objects.bulk_create(rollups, batch_size=5000)
        HourlyCost.objects.bulk_create(
            (HourlyCost(device=device, hour=r.hour, kwh=r.energy_kwh,
                        cost=Decimal(str(r.energy_kwh)) * Decimal("0.15"))
             for r in rollups if not june[0] <= r.hour < june[1]),
            batch_size=5000,
        )  # fmt: skip
    services.rate_plan_save(PLAN, now=START - timedelta(days=1))
    RepriceRequest.objects.all().delete()  # only June is left to price
    summarise_days(plan_versions(), START, START + timedelta(days=DAYS))
    started = time.perf_counter()
    priced = services.price_pending()
    return priced, time.perf_counter() - started


def timed_get(client, url: str, runs: int = 7) -> float:
    client.get(url)  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.content[:500]
    return statistics.median(times) * 1000


def main() -> int:
    with bench_database("costs"):
        return run()


def run() -> int:
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import User
    from billing.models import HourlyCost
    from devices.models import Device

    call_command("migrate", verbosity=0)
    if Device.objects.exists():
        print("The database is not empty; point DATABASE_URL at an empty one.")
        return 2
    priced, seconds = build()
    rows = HourlyCost.objects.count()
    print(f"{connection.vendor}: {DEVICES} devices x {DAYS} days = {rows} stored hourly costs")
    print(f"the pipeline priced June ({priced} device-hours) in {seconds:.1f} s "
          f"({priced / seconds:.0f} device-hours/s)")  # fmt: skip
    print("/api/costs reads the stored costs (their daily sums) and the household's daily "
          "peaks; raw one-minute readings are not needed and none were created.")  # fmt: skip
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.force_authenticate(User.objects.create(username="bench", role="viewer"))
    month = timed_get(client, "/api/costs?start_date=2023-06-01&end_date=2023-06-30")
    year = timed_get(client, "/api/costs?start_date=2023-01-01&end_date=2023-12-31")
    ok = report(f"GET /api/costs one month, {DEVICES} devices ({connection.vendor})", month,
                "ms", 100)  # fmt: skip
    ok &= report(f"GET /api/costs one year, {DEVICES} devices ({connection.vendor})", year,
                 "ms", 500)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
