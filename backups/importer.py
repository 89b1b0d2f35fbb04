"""Import the original Kasa Monitor's SQLite database (devices, readings, rate plans).

Idempotent: devices are matched by MAC (else by the device_id we gave them last time) and a
reading whose (device, timestamp) already exists is skipped, so a second run imports nothing.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from django.db import transaction

from billing import selectors as billing_selectors
from billing import services as billing_services
from devices import services as device_services
from kasamonitor.errors import ApiError
from security.services import audit_record

from .services import backup_create

CHUNK = 5000
PRICING_WAIT = 10.0  # seconds to wait for a pricing run elsewhere before leaving it to it
MAX_GAP_HOURS = 1.0  # a counter reset is bridged with power x time only across short gaps
MAC_RE = re.compile(r"^[0-9A-F]{12}$")
TYPES = {"strip": "strip", "bulb": "bulb", "dimmer": "dimmer", "switch": "switch"}
# The original's tables this importer reads (docs: ../shared/notes/kasa-monitor-original.md);
# tests and benchmarks build source databases from it.
SOURCE_SCHEMA = """
CREATE TABLE device_info (device_ip TEXT PRIMARY KEY, alias TEXT, model TEXT, device_type TEXT,
  mac TEXT, last_seen TIMESTAMP, metadata TEXT, is_monitored INTEGER DEFAULT 1,
  discovered_at TIMESTAMP, user_notes TEXT);
CREATE TABLE device_readings (id INTEGER PRIMARY KEY AUTOINCREMENT, device_ip TEXT,
  timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, is_on BOOLEAN, current_power_w REAL,
  voltage REAL, current REAL, today_energy_kwh REAL, month_energy_kwh REAL,
  total_energy_kwh REAL, rssi INTEGER);
CREATE TABLE electricity_rates (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, rate_type TEXT,
  rate_config TEXT, currency TEXT, is_active BOOLEAN, created_at TIMESTAMP, updated_at TIMESTAMP);
"""


class ImportFailed(ApiError):
    status_code = 400
    error_code = "IMPORT_FAILED"
    message = "The original Kasa Monitor database cannot be imported."


@dataclass
class ImportSummary:
    source: str
    backup: str = ""
    devices_created: int = 0
    devices_matched: int = 0
    devices_skipped: list[str] = field(default_factory=list)
    readings_imported: int = 0
    readings_skipped: int = 0
    rate_plan: str = "none"
    rate_plans: list[dict] = field(default_factory=list)
    rollups: str = ""
    costs: str = ""


def import_kasa_monitor(
    path: Path,
    *,
    source_tz: tzinfo = UTC,
    take_backup: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> ImportSummary:
    """Import devices, readings and the active rate plan from an original Kasa Monitor DB."""
    report = progress or (lambda stage, percent: None)
    source = _open_source(path)
    summary = ImportSummary(source=str(path))
    try:
        if take_backup:
            report("backup", 0)
            summary.backup = backup_create(kind="import").name
        # One transaction: readings, rollups, plan and their costs land together or not at
        # all. The import prices what it wrote itself (with the imported plan, Redis up or
        # down), so costs answer as soon as it commits, not after the worker's next run.
        with transaction.atomic():
            devices = _import_devices(source, summary)
            for n, (ip, device) in enumerate(devices.items()):
                report(f"readings of {ip}", 10 + int(70 * n / max(len(devices), 1)))
                _import_readings(source, ip, device, source_tz, summary)
            _import_rate_plans(source, summary)
            report("rollups", 80)
            summary.rollups = _rebuild_rollups(list(devices.values()))
            report("costs", 90)
            summary.costs = _price(list(devices.values()))
    finally:
        source.close()
    report("done", 100)
    audit_record("backup.import_kasa_monitor", target_type="import", target_id=path.name,
                 details={k: v for k, v in asdict(summary).items() if k != "rate_plans"})  # fmt: skip
    return summary


def _open_source(path: Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise ImportFailed(f"{path} does not exist.")
    try:
        db = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise ImportFailed(f"{path} is not a SQLite database: {exc}") from exc
    if not {"device_info", "device_readings"} <= tables:
        db.close()
        raise ImportFailed(f"{path} has no device_info/device_readings tables: not Kasa Monitor.")
    db.row_factory = sqlite3.Row
    return db


# DEVICES
# ------------------------------------------------------------------------------
def _import_devices(source: sqlite3.Connection, summary: ImportSummary) -> dict:
    rows = {r["device_ip"]: dict(r) for r in source.execute("SELECT * FROM device_info")}
    for (ip,) in source.execute("SELECT DISTINCT device_ip FROM device_readings"):
        rows.setdefault(ip, {"device_ip": ip})  # readings of a device it forgot
    devices = {}
    for ip, row in rows.items():
        if not _is_ip(ip):
            summary.devices_skipped.append(str(ip))
            continue
        device, created = device_services.device_upsert_imported(
            mac=normalise_mac(row.get("mac")),
            ip=ip,
            alias=row.get("alias") or "",
            model=row.get("model") or "",
            device_type=_device_type(row.get("device_type")),
        )
        summary.devices_created += created
        summary.devices_matched += not created
        devices[ip] = device
    return devices


def normalise_mac(value) -> str:
    """Return AA:BB:CC:DD:EE:FF, or "" when the value is not a MAC address."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", str(value or "")).upper()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)) if MAC_RE.match(digits) else ""


def _device_type(value) -> str:
    text = str(value or "").lower()
    return next((ours for key, ours in TYPES.items() if key in text), "plug")


def _is_ip(value) -> bool:
    try:
        ipaddress.ip_address(str(value))
        return True
    except ValueError:
        return False


# READINGS
# ------------------------------------------------------------------------------
def _import_readings(source, ip: str, device, tz: tzinfo, summary: ImportSummary) -> None:
    previous: dict = {}
    for chunk in _reading_chunks(source, ip):
        rows = [_reading(row, previous, tz) for row in chunk]
        existing = device_services.readings_existing_timestamps(
            device, rows[0]["timestamp"], rows[-1]["timestamp"]
        )
        fresh = []
        for r in rows:  # also drops the original's own duplicate rows
            if r["timestamp"] not in existing:
                existing.add(r["timestamp"])
                fresh.append(r)
        device_services.readings_insert_imported(device, fresh)
        summary.readings_imported += len(fresh)
        summary.readings_skipped += len(rows) - len(fresh)


def _reading_chunks(source, ip: str) -> Iterator[list]:
    cursor = source.execute(
        "SELECT timestamp, is_on, current_power_w, voltage, current, total_energy_kwh "
        "FROM device_readings WHERE device_ip = ? ORDER BY timestamp, id",
        (ip,),
    )
    while chunk := cursor.fetchmany(CHUNK):
        yield chunk


def _reading(row, previous: dict, tz: tzinfo) -> dict:
    """Turn one original row into ours; the delta comes from its cumulative kWh counter."""
    moment = _timestamp(row["timestamp"], tz)
    total, power = row["total_energy_kwh"], row["current_power_w"]
    delta = 0.0
    if previous.get("total") is not None and total is not None and total >= previous["total"]:
        delta = total - previous["total"]
    elif previous.get("at") and power:  # a counter reset: fall back to power x time
        hours = (moment - previous["at"]).total_seconds() / 3600
        delta = power * hours / 1000 if 0 < hours <= MAX_GAP_HOURS else 0.0
    previous.update(total=total, at=moment)
    return {
        "timestamp": moment, "is_on": None if row["is_on"] is None else bool(row["is_on"]),
        "power_w": power, "voltage": row["voltage"], "current": row["current"],
        "energy_total_kwh": total, "energy_delta_kwh": round(delta, 9),
    }  # fmt: skip


def _timestamp(value, tz: tzinfo) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ImportFailed(f"A reading has an unreadable timestamp {value!r}.") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


# RATE PLANS AND ROLLUPS (other apps' public services, when they offer them)
# ------------------------------------------------------------------------------
def _import_rate_plans(source, summary: ImportSummary) -> None:
    tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "electricity_rates" not in tables:
        return
    rows = source.execute(
        "SELECT * FROM electricity_rates ORDER BY is_active DESC, created_at DESC, id DESC"
    ).fetchall()
    summary.rate_plans = [_rate_row(r) for r in rows]
    active = next((p for p in summary.rate_plans if p.get("is_active")), None)
    if active is None:
        return
    summary.rate_plan = _save_rate_plan(active)


def _save_rate_plan(row: dict) -> str:
    """Save the original's active rate as a billing plan once (an equal saved plan is kept)."""
    config = row["rate_config"] if isinstance(row["rate_config"], dict) else {}
    data = {"name": row.get("name") or "", "rate_type": row.get("rate_type"),
            "currency": row.get("currency") or "USD", **config}  # fmt: skip
    try:
        plan = billing_services.validate_plan(data)
    except ApiError as exc:
        return f"kept as JSON in this summary: billing refused it ({exc.message})"
    if any(existing.plan == plan for existing in billing_selectors.saved_plans()):
        return "already imported (an identical billing plan exists)"
    return f"imported as billing plan {billing_services.rate_plan_save(data).pk}"


def _rate_row(row) -> dict:
    data = dict(row)
    with contextlib.suppress(ValueError):  # unparsable config is kept as the text it was
        data["rate_config"] = json.loads(data.get("rate_config") or "{}")
    return data


def _price(devices: list) -> str:
    """Price the rebuilt hours (and, with a new plan, all history) in the import's transaction."""
    if not devices:
        return "nothing to price"
    started = time.monotonic()
    stored = billing_services.price_pending_now(wait=PRICING_WAIT)
    if stored is None:
        return (
            "left for the worker (another pricing run held the lock): it prices them "
            "within a minute of running"
        )
    return (
        f"priced by this import ({stored} device-hours in {time.monotonic() - started:.1f} s, "
        "in its transaction): the cost API answers for the imported range at once"
    )


def _rebuild_rollups(devices: list) -> str:
    folded = device_services.rollups_rebuild([d.pk for d in devices], announce=False)
    return f"hourly and daily rollups rebuilt from {folded} readings"
