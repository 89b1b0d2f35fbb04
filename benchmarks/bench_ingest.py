"""Bulk ingest: importing an original Kasa Monitor database of one-minute readings.

Budget (issue 4): at least 20,000 readings/s in bulk, on SQLite and on PostgreSQL. The
figure is the whole import (`backups.importer.import_kasa_monitor`, the code behind
`manage.py import_kasa_monitor` and the import API): reading the source rows, turning
counters into deltas, skipping duplicates, inserting our readings, rebuilding the hourly
and daily rollups from them, then pricing them (billing's price_pending_now, in the import's
transaction). The insert, the rollup rebuild and the pricing are printed apart. Then a web
process is started on the imported database and asked for the imported range's costs at
once (issue 24 item 4): the answer must hold every imported kWh, priced with the imported
flat rate; the figure is the web process's start plus that first request.

Builds its own source file, its own database (SQLite, or kasa_bench_ingest when DATABASE_URL
is PostgreSQL) and its own Redis unless REDIS_URL is set.

Run: .venv/bin/python benchmarks/bench_ingest.py [--readings 200000] [--devices 5]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    Client,
    admin_token,
    bench_database,
    report,
    setup_django,
    vendor_label,
    web_server,
)


def build_source(path: Path, devices: int, per_device: int) -> None:
    """The original's schema with one-minute readings of slowly rising counters."""
    from backups.importer import SOURCE_SCHEMA

    db = sqlite3.connect(path)
    db.executescript(SOURCE_SCHEMA)
    for d in range(devices):
        ip = f"127.0.2.{d + 10}"  # data only, never contacted
        db.execute(
            "INSERT INTO device_info (device_ip, alias, model, device_type, mac) VALUES (?,?,?,?,?)",
            (ip, f"Plug {d}", "HS110", "plug", f"50:C7:BF:00:00:{d:02X}"),
        )
        db.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO device_readings (device_ip, timestamp, is_on, current_power_w, voltage,
                current, total_energy_kwh)
            SELECT ?, strftime('%Y-%m-%d %H:%M:%S', '2025-01-01', '+' || i || ' minutes'), 1,
                   60 + (i % 40), 120.0, (60 + (i % 40)) / 120.0, 10 + i * 0.001
            FROM n
            """,
            (per_device - 1, ip),
        )
    db.execute(
        "INSERT INTO electricity_rates (name, rate_type, rate_config, currency, is_active,"
        " created_at) VALUES ('Flat', 'flat', '{\"flat_rate\": 0.25}', 'USD', 1, '2024-12-01')"
    )
    db.commit()
    db.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--devices", type=int, default=5)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kasa-bench-ingest-"))
    from kasamonitor.embedded_redis import ensure_redis

    redis = ensure_redis(data_dir)
    try:
        source = data_dir / "kasa_monitor.db"
        with bench_database("ingest"):
            setup_django(data_dir)
            from django.core.management import call_command

            build_source(source, args.devices, args.readings // args.devices)
            call_command("migrate", verbosity=0)
            status = measure(source)
            return status | costs_after_start(data_dir)
    finally:
        if redis:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(source: Path) -> int:
    from backups import importer
    from billing import services as billing_services
    from devices import services
    from devices.models import HourlyRollup, Reading

    spent = {"rebuild": 0.0, "pricing": 0.0}

    def timed(module, name: str, key: str):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - started

        setattr(module, name, wrapper)  # the importer calls both through the services modules

    timed(services, "rollups_rebuild", "rebuild")
    timed(billing_services, "price_pending_now", "pricing")
    started = time.perf_counter()
    summary = importer.import_kasa_monitor(source, take_backup=False)
    seconds = time.perf_counter() - started
    readings = Reading.objects.count()
    if summary.readings_imported != readings or not HourlyRollup.objects.exists():
        print(f"import incomplete: {summary}")
        return 1
    alone = seconds - spent["rebuild"] - spent["pricing"]
    print(f"database: {vendor_label()}; {readings} readings of {summary.devices_created} "
          f"devices in {seconds:.1f} s (readings {alone:.1f} s, "
          f"rollup rebuild {spent['rebuild']:.1f} s, "
          f"{HourlyRollup.objects.count()} hourly rollups; pricing them {spent['pricing']:.1f} s, "
          f"in the import)")  # fmt: skip
    ok = report("bulk ingest (import with rollups and costs), readings/s", readings / seconds,
                "readings/s", 20_000, lower_is_better=False)  # fmt: skip
    report("bulk ingest, readings insert alone, readings/s",
           readings / alone, "readings/s", 20_000, lower_is_better=False)  # fmt: skip
    return 0 if ok else 1


def costs_after_start(data_dir: Path) -> int:
    """Start the web process on the imported database: the imported range's costs at once."""
    from django.db import connections
    from django.db.models import Max, Min, Sum

    from devices.models import HourlyRollup

    span = HourlyRollup.objects.aggregate(
        first=Min("hour"), last=Max("hour"), kwh=Sum("energy_kwh")
    )
    token = admin_token()
    connections.close_all()
    query = f"start_date={span['first']:%Y-%m-%d}&end_date={span['last']:%Y-%m-%d}"
    started = time.monotonic()
    with web_server(data_dir) as (port, _web):
        client = Client(port, token)
        seconds, status, body = client.get(f"/api/costs?{query}")
        answered = time.monotonic() - started
        client.close()
    import json

    costs = json.loads(body) if status == 200 else {}
    total, kwh = costs.get("total_cost") or 0, costs.get("total_kwh") or 0
    print(f"web process started, then GET /api/costs over the imported range ({query}): "
          f"{status} in {seconds * 1000:.0f} ms, {kwh:.3f} kWh (rollups {span['kwh']:.3f}), "
          f"cost {total} at the imported flat 0.25")  # fmt: skip
    priced = status == 200 and abs(kwh - span["kwh"]) < 0.01 and abs(total - kwh * 0.25) < 0.02
    ok = report("imported costs answered after start (start + request)", answered, "s", 5)
    return 0 if ok and priced else 1


if __name__ == "__main__":
    sys.exit(main())
