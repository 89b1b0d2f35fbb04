"""Export benchmark: 1,000,000 raw readings to CSV (< 20 s, < 250 MB) and to .xlsx (< 90 s).

One command: `.venv/bin/python benchmarks/bench_export.py` (BENCH_READINGS, BENCH_FORMATS=csv,excel
to narrow it) builds its own database in a temp
data dir (SQLite; with DATABASE_URL=postgres://… a scratch kasa_bench_export database on that
server, dropped afterwards), then runs each export in a fresh process and
reports wall time and peak RSS of that process.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
READINGS = int(os.environ.get("BENCH_READINGS", 1_000_000))
DEVICES = 10
START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(seconds=30)
FIELDS = ["timestamp", "device_ip", "device_name", "power_w", "energy_kwh", "voltage", "cost"]
TARGETS = {"csv": (20, 250), "excel": (90, None)}


def setup_django() -> None:
    sys.path.insert(0, str(BASE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
    import django

    django.setup()


def build_data() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import User
    from billing.models import HourlyCost
    from devices.models import Device, HourlyRollup

    call_command("migrate", verbosity=0)
    User.objects.create_user("bench", "bench@example.com", "x", role="admin")
    per_device = READINGS // DEVICES
    sqlite = connection.vendor == "sqlite"
    for n in range(DEVICES):
        device = Device.objects.create(device_id=f"50:C7:BF:00:00:{n:02X}", mac=f"50:C7:BF:00:00:{n:02X}",
                                       host=f"127.0.1.{n + 1}", alias=f"Plug {n}", has_emeter=True)  # fmt: skip
        rows, hours = [], {}
        for i in range(per_device):
            ts = START + STEP * i
            power = 50.0 + (i % 120)
            delta = power * 30 / 3_600_000
            rows.append((device.pk, ts.strftime("%Y-%m-%d %H:%M:%S") if sqlite else ts, True, power, 230.0,
                         round(power / 230, 4), delta * (i + 1), delta))  # fmt: skip
            hour = ts.replace(minute=0, second=0)
            hours[hour] = hours.get(hour, 0.0) + delta
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO devices_reading (device_id, timestamp, is_on, power_w, voltage, current,"
                " energy_total_kwh, energy_delta_kwh) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows
            )  # fmt: skip
            HourlyRollup.objects.bulk_create([HourlyRollup(device=device, hour=h, energy_kwh=e, samples=120)
                                              for h, e in hours.items()])  # fmt: skip
            HourlyCost.objects.bulk_create([HourlyCost(device=device, hour=h, kwh=e, cost=round(e * 0.2, 8))
                                            for h, e in hours.items()])  # fmt: skip


def run_one(fmt: str) -> dict:
    from django.utils import timezone

    from accounts.models import User
    from exports import services
    from exports.models import ExportJob
    from exports.request import parse

    end = START + STEP * (READINGS // DEVICES)
    body = {"export_type": "device_data", "format": fmt, "fields": FIELDS,
            "date_range": {"start": START.isoformat(), "end": end.isoformat()}}  # fmt: skip
    cfg = parse(body, now=timezone.now())
    job = ExportJob.objects.create(user=User.objects.get(username="bench"), export_type="device_data",
                                   format=fmt, config=cfg.raw, estimated_records=READINGS)  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    services.export_run(job.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    job.refresh_from_db()
    peak_mb = _peak_rss_mb()
    return {"format": fmt, "status": job.status, "error": job.error, "records": job.record_count,
            "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mb": round(peak_mb), "file_mb": round((job.file_size or 0) / 2**20, 1)}  # fmt: skip


def _peak_rss_mb() -> float:
    """This process's own peak RSS. Not ru_maxrss: Linux carries the parent's high-water mark
    across fork and exec, so a child of the (big) data-building parent reported its size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        setup_django()
        print(json.dumps(run_one(sys.argv[2])))
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import bench_database

    data_dir = tempfile.mkdtemp(prefix="kasa-bench-export-")
    try:
        with bench_database("export"):  # PostgreSQL: a scratch kasa_bench_export, dropped after
            return measure(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)  # ~350 MB of data and exported files


def measure(data_dir: str) -> int:
    env = {**os.environ, "KASA_DATA_DIR": data_dir, "SECRET_KEY": "bench-only", "DEBUG": "false",
           "LOG_LEVEL": "ERROR", "EXPORT_BENCH": "1"}  # fmt: skip
    os.environ.update(env)
    setup_django()
    started = time.perf_counter()
    build_data()
    print(f"built {READINGS:,} readings in {time.perf_counter() - started:.0f} s")
    ok = True
    wanted = os.environ.get("BENCH_FORMATS", "csv,excel").split(",")
    for fmt, (max_s, max_mb) in TARGETS.items():
        if fmt not in wanted:
            continue
        out = subprocess.run(
            [sys.executable, __file__, "--run", fmt], env=env, capture_output=True, text=True
        )
        if out.returncode:
            print(out.stderr)
            return 1
        result = json.loads(out.stdout.strip().splitlines()[-1])
        passed = (
            result["status"] == "completed"
            and result["records"] == READINGS
            and result["seconds"] < max_s
        )
        passed = passed and (max_mb is None or result["peak_rss_mb"] < max_mb)
        ok &= passed
        print(f"{fmt:6} {result['records']:>9,} rows {result['seconds']:>6} s (cpu {result['cpu_seconds']} s)  peak {result['peak_rss_mb']} MB  "
              f"file {result['file_mb']} MB  target < {max_s} s{f', < {max_mb} MB' if max_mb else ''}: "
              f"{'PASS' if passed else 'FAIL ' + result['error']}")  # fmt: skip
        _results_for_make_bench(fmt, result, max_s, max_mb)
    return 0 if ok else 1


def _results_for_make_bench(fmt: str, result: dict, max_s: float, max_mb: float | None) -> None:
    """RESULT lines (benchmarks/_common.report) for run_all.py's table."""
    from _common import report

    label = f"export {READINGS:,} readings as {fmt}"
    report(f"{label}: seconds", float(result["seconds"]), "s", max_s)
    if max_mb:
        report(f"{label}: peak memory", float(result["peak_rss_mb"]), "MB", max_mb)


if __name__ == "__main__":
    sys.exit(main())
