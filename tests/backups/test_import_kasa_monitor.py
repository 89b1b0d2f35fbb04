"""manage.py import_kasa_monitor: devices, readings and rates from the original app, once."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backups import services
from backups.importer import SOURCE_SCHEMA, import_kasa_monitor, normalise_mac
from tests.factories import DeviceFactory


@pytest.fixture
def original_db(tmp_path):
    """An original Kasa Monitor database: a known plug (by MAC), a plug without MAC, a strip."""
    path = tmp_path / "kasa_monitor.db"
    db = sqlite3.connect(path)
    db.executescript(SOURCE_SCHEMA)
    db.executemany(
        "INSERT INTO device_info (device_ip, alias, model, device_type, mac) VALUES (?,?,?,?,?)",
        [("127.0.2.10", "Fridge", "HS110", "plug", "50-c7-bf-aa-bb-01"),
         ("127.0.2.11", "Desk", "HS110", "SmartPlug", None),
         ("127.0.2.12", "Strip", "HS300", "SmartStrip", "50:C7:BF:AA:BB:03")],
    )  # fmt: skip
    rows = []
    for ip, totals in (("127.0.2.10", [1.0, 1.5, 2.0, 0.1]), ("127.0.2.11", [5.0, 5.2])):
        for n, total in enumerate(totals):
            stamp = f"2024-01-15 10:0{n}:00"
            rows.append((ip, stamp, 1, 600.0, 120.0, 5.0, total))
    rows.append(("127.0.2.99", "2024-01-15T10:00:00", 0, 0.0, 120.0, 0.0, 3.0))  # no info row
    db.executemany(
        "INSERT INTO device_readings (device_ip, timestamp, is_on, current_power_w, voltage,"
        " current, total_energy_kwh) VALUES (?,?,?,?,?,?,?)",
        rows,
    )
    db.executemany(
        "INSERT INTO electricity_rates (name, rate_type, rate_config, currency, is_active,"
        " created_at) VALUES (?,?,?,?,?,?)",
        [("Old flat", "flat", '{"flat_rate": 0.10}', "USD", 0, "2023-01-01 00:00:00"),
         ("TOU 2024", "time_of_use", json.dumps({"time_of_use_rates": [
             {"start_hour": 16, "end_hour": 21, "rate_per_kwh": 0.35},
             {"start_hour": 21, "end_hour": 16, "rate_per_kwh": 0.12}]}), "USD", 1,
          "2024-01-01 00:00:00")],
    )  # fmt: skip
    db.commit()
    db.close()
    return path


def test_it_imports_devices_readings_and_the_active_rate(db, original_db):
    from devices.models import Device, Reading

    known = DeviceFactory(device_id="50:C7:BF:AA:BB:01", mac="50:C7:BF:AA:BB:01", alias="Mine")

    summary = import_kasa_monitor(original_db)

    assert (summary.devices_created, summary.devices_matched) == (3, 1)
    assert summary.devices_skipped == []
    assert Device.objects.get(device_id="ip:127.0.2.11").device_type == "plug"
    assert Device.objects.get(device_id="50:C7:BF:AA:BB:03").device_type == "strip"
    assert Device.objects.get(device_id="ip:127.0.2.99").host == "127.0.2.99"
    deltas = list(
        Reading.objects.filter(device=known)
        .order_by("timestamp")
        .values_list("energy_delta_kwh", flat=True)
    )
    # counters 1.0 -> 1.5 -> 2.0, then a reset to 0.1: 600 W for one minute = 0.01 kWh
    assert deltas == pytest.approx([0.0, 0.5, 0.5, 0.01])
    first = Reading.objects.filter(device=known).earliest("timestamp")
    assert first.timestamp == datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    assert summary.readings_imported == 7
    assert summary.rate_plans[0]["name"] == "TOU 2024"
    assert summary.rate_plans[0]["rate_config"]["time_of_use_rates"][0]["rate_per_kwh"] == 0.35
    assert summary.rate_plan.startswith("imported as billing plan")


def test_imported_readings_show_in_the_hourly_and_daily_history(db, original_db):
    from devices.models import DailyRollup, Device, HourlyRollup

    summary = import_kasa_monitor(original_db, take_backup=False)

    fridge = Device.objects.get(device_id="50:C7:BF:AA:BB:01")
    hour = HourlyRollup.objects.get(device=fridge)
    assert hour.hour == datetime(2024, 1, 15, 10, tzinfo=UTC)
    assert hour.energy_kwh == pytest.approx(0.5 + 0.5 + 0.01)  # same deltas as the readings
    assert hour.samples == 4 and hour.max_power_w == 600.0
    assert DailyRollup.objects.get(device=fridge).energy_kwh == pytest.approx(1.01)
    assert "rebuilt from 7 readings" in summary.rollups


def test_running_it_twice_imports_nothing_twice(db, original_db):
    from billing.models import RatePlan
    from devices.models import Device, Reading

    import_kasa_monitor(original_db, take_backup=False)
    counts = (Device.objects.count(), Reading.objects.count(), RatePlan.objects.count())

    again = import_kasa_monitor(original_db, take_backup=False)

    assert (Device.objects.count(), Reading.objects.count(), RatePlan.objects.count()) == counts
    assert (again.devices_created, again.readings_imported) == (0, 0)
    assert again.devices_matched == 4 and again.readings_skipped == 7
    assert again.rate_plan.startswith("already imported")


def test_the_command_takes_a_backup_first_and_prints_a_summary(db, original_db):
    out = StringIO()

    call_command("import_kasa_monitor", str(original_db), stdout=out)

    assert [r["type"] for r in services.backup_list()] == ["import"]
    assert "Imported 4 new device(s)" in out.getvalue().splitlines()[-1]


def test_the_command_refuses_a_file_that_is_not_kasa_monitor(db, tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()

    with pytest.raises(CommandError, match="not Kasa Monitor"):
        call_command("import_kasa_monitor", str(other), stdout=StringIO())
    assert services.backup_list() == []


@pytest.mark.parametrize(
    "raw,mac",
    [("50-c7-bf-aa-bb-01", "50:C7:BF:AA:BB:01"), ("50c7bfaabb01", "50:C7:BF:AA:BB:01"),
     ("", ""), (None, ""), ("not a mac", "")],
)  # fmt: skip
def test_macs_are_normalised(raw, mac):
    assert normalise_mac(raw) == mac


def test_a_rate_billing_refuses_is_kept_in_the_summary(db, tmp_path):
    path = tmp_path / "kasa_monitor.db"
    db_ = sqlite3.connect(path)
    db_.executescript(SOURCE_SCHEMA)
    db_.execute(
        "INSERT INTO electricity_rates (name, rate_type, rate_config, currency, is_active)"
        " VALUES ('Gaps', 'time_of_use', ?, 'USD', 1)",
        (json.dumps({"time_of_use_rates": [{"start_hour": 16, "end_hour": 21}]}),),
    )
    db_.commit()
    db_.close()

    summary = import_kasa_monitor(path, take_backup=False)

    assert summary.rate_plan.startswith("kept as JSON in this summary")
    assert summary.rate_plans[0]["name"] == "Gaps"


@pytest.fixture
def three_hours_db(tmp_path):
    """Two plugs read every minute 15:00-17:59 UTC (0.01 and 0.02 kWh a minute) and the
    original's active time-of-use rate: 0.35 from 16:00 to 21:00, 0.12 otherwise."""
    path = tmp_path / "kasa_monitor.db"
    db_ = sqlite3.connect(path)
    db_.executescript(SOURCE_SCHEMA)
    db_.executemany(
        "INSERT INTO device_info (device_ip, alias, model, device_type, mac) VALUES (?,?,?,?,?)",
        [("127.0.2.20", "Fridge", "HS110", "plug", "50-c7-bf-aa-bb-21"),
         ("127.0.2.21", "Heater", "HS110", "plug", "50-c7-bf-aa-bb-22")],
    )  # fmt: skip
    db_.executemany(
        "INSERT INTO device_readings (device_ip, timestamp, is_on, current_power_w, voltage,"
        " current, total_energy_kwh) VALUES (?,?,?,?,?,?,?)",
        [(ip, f"2024-01-15 {15 + m // 60}:{m % 60:02d}:00", 1, 600.0 * per, 120.0, 5.0,
          round(m * 0.01 * per, 6))
         for ip, per in (("127.0.2.20", 1), ("127.0.2.21", 2)) for m in range(180)],
    )  # fmt: skip
    db_.execute(
        "INSERT INTO electricity_rates (name, rate_type, rate_config, currency, is_active,"
        " created_at) VALUES ('TOU', 'time_of_use', ?, 'USD', 1, '2024-01-01 00:00:00')",
        (json.dumps({"time_of_use_rates": [
            {"start_hour": 16, "end_hour": 21, "rate_per_kwh": 0.35},
            {"start_hour": 21, "end_hour": 16, "rate_per_kwh": 0.12}]}),),
    )  # fmt: skip
    db_.commit()
    db_.close()
    return path


def _costs(client, start: str, end: str) -> dict:
    response = client.get(f"/api/costs?start_date={start}&end_date={end}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_import_prices_what_it_imported_with_the_imported_plan_at_once(
    db, admin_api, three_hours_db
):
    from billing import rollups as pricing
    from billing.models import HourlyCost

    out = StringIO()
    call_command("import_kasa_monitor", str(three_hours_db), "--no-backup", stdout=out)

    last = out.getvalue().strip().splitlines()[-1]
    assert "costs: priced by this import" in last
    assert "the cost API answers for the imported range at once" in last
    assert HourlyCost.objects.count() == 6  # 2 plugs x 3 hours, none left pending
    assert not pricing.pending_hours()
    # By hand: each plug uses its rate for every minute of a whole hour, 60 minutes, both
    # plugs 0.01 + 0.02 kWh a minute = 1.8 kWh an hour; 15:00 is off-peak, 16:00 peak.
    off_peak = _costs(admin_api, "2024-01-15T15:00:00Z", "2024-01-15T16:00:00Z")
    peak = _costs(admin_api, "2024-01-15T16:00:00Z", "2024-01-15T17:00:00Z")
    assert off_peak["total_kwh"] == pytest.approx(1.8)
    assert off_peak["total_cost"] == round(1.8 * 0.12, 2)  # 0.216, in cents
    assert peak["total_kwh"] == pytest.approx(1.8)
    assert peak["total_cost"] == round(1.8 * 0.35, 2)
    whole = _costs(admin_api, "2024-01-15T15:00:00Z", "2024-01-15T18:00:00Z")
    # The last hour ends with the last reading at 17:59: 59 minutes of it.
    assert whole["total_kwh"] == pytest.approx(1.8 + 1.8 + 0.03 * 59)
    assert whole["total_cost"] == round(1.8 * 0.12 + 1.8 * 0.35 + 0.03 * 59 * 0.35, 2)  # 1.4655


def test_while_another_pricing_run_holds_the_lock_the_costs_are_left_for_the_worker(
    db, three_hours_db, monkeypatch
):
    from backups import importer
    from billing import rollups as pricing
    from billing import services as billing
    from billing.costs.stored import pricing_lock
    from billing.models import HourlyCost

    monkeypatch.setattr(importer, "PRICING_WAIT", 0.2)
    with pricing_lock() as held:  # what a worker pricing a poll's hours holds
        assert held
        summary = import_kasa_monitor(three_hours_db, take_backup=False)

    assert summary.costs.startswith("left for the worker")
    assert not HourlyCost.objects.exists()
    assert len(pricing.pending_hours()) == 3  # the 3 imported hours wait for the worker
    billing.price_pending()  # the worker's periodic run
    assert HourlyCost.objects.count() == 6
    assert not pricing.pending_hours()
