"""Reads of the devices app that views and other apps may call."""

from __future__ import annotations

import ipaddress
import math
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import CharField, Count, F, FloatField, Max, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from kasamonitor.timestamps import iso_utc

from .errors import DeviceNotFound
from .models import DailyRollup, Device, HourlyRollup, Reading, SystemConfig

MAC = re.compile(r"^([0-9A-F]{2}[:-]){5}[0-9A-F]{2}(_.+)?$", re.IGNORECASE)
STRIPS_FIRST = F("parent_id").asc(nulls_first=True)  # PostgreSQL sorts NULLs last by default
INTERVALS = {"raw": None, "1h": 1, "6h": 6, "1d": 24}
# History shows costs as JSON numbers: read them as floats, skipping a Decimal per row.
COST_AS_FLOAT = Cast("cost", FloatField())
# An hour as the database writes it in UTC: '2026-01-01 05:00:00' (SQLite keeps UTC naive)
# or '2026-01-01 05:00:00+00' (PostgreSQL; Django sets the session time zone to UTC).
HOUR_AS_TEXT = Cast("hour", CharField())


def fleet_counts() -> dict:
    """Return device totals by status, the reading count and the time of the last poll."""
    agg = Device.objects.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(status=Device.Status.ONLINE)),
        offline=Count("id", filter=Q(status=Device.Status.OFFLINE)),
        unknown=Count("id", filter=Q(status=Device.Status.UNKNOWN)),
        auth_failed=Count("id", filter=Q(status=Device.Status.AUTH_FAILED)),
        last_poll=Max("last_polled_at"),
    )
    agg["readings"] = Reading.objects.count()
    return agg


def status_summary() -> dict:
    """Return {"total", "online", "offline", "unknown", "auth_failed"} over all devices."""
    counts = fleet_counts()
    return {k: counts[k] for k in ("total", "online", "offline", "unknown", "auth_failed")}


# The live state exporters (Prometheus, MQTT) read, in this order (one query for the fleet).
EXPORT_FIELDS = (
    "id", "device_id", "alias", "model", "parent_id", "device_type", "has_emeter",
    "enabled", "status", "offline_reason", "is_on", "current_power_w", "voltage", "current",
    "energy_total_kwh", "today_energy_kwh", "last_seen",
)  # fmt: skip


def export_rows() -> list[tuple]:
    """Return every device's live state as EXPORT_FIELDS tuples. No join (an outlet's
    parent_id is another row's id): 1,000 rows in a few ms."""
    return list(Device.objects.order_by("id").values_list(*EXPORT_FIELDS))


def live_socket_count() -> int:
    """Return the live sockets (native and Socket.IO) open in this web process."""
    from .consumers import Sockets

    return Sockets.open


def device_get(key: str | int) -> Device:
    """Return the device with this numeric id, IP or MAC (a strip, not its outlets, by IP)."""
    key = str(key).strip()
    devices = Device.objects.select_related("parent")
    if key.isascii() and key.isdigit():
        device = devices.filter(pk=int(key)).first()
    elif MAC.match(key):
        mac = key.upper().replace("-", ":")
        device = devices.filter(Q(device_id__iexact=mac) | Q(mac=mac, parent__isnull=True)).first()
    elif _is_ip(key):
        device = devices.filter(host=key).order_by(STRIPS_FIRST, "id").first()
    else:
        device = None
    if device is None:
        raise DeviceNotFound(f"No device with id, IP or MAC {key!r}.", key=key)
    return device


def device_list(*, status: str | None = None) -> QuerySet[Device]:
    """Return devices (strips before their outlets), optionally of one status."""
    devices = Device.objects.order_by("host", STRIPS_FIRST, "child_id", "id")
    return devices.filter(status=status) if status else devices


def fleet_version() -> str:
    """A stamp that changes whenever a device row is added, removed or saved.

    Every write to a device sets updated_at (save(), the poller's UPDATE, the bulk updates
    in services), so caches of device rows can use this as their key. Read on every
    GET /api/devices, so it is one plain statement (the ORM took longer than the query).
    """
    quote, meta = connection.ops.quote_name, Device._meta
    pk, updated = quote(meta.pk.column), quote(meta.get_field("updated_at").column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT({pk}), SUM({pk}), MAX({updated}) FROM {quote(meta.db_table)}")
        count, ids, newest = cursor.fetchone()
    stamp = "".join(str(newest or 0).split())  # a cache key part: no spaces
    return f"{count}.{ids or 0}.{stamp}"


def readings_between(*, device: Device, start: datetime, end: datetime) -> QuerySet[Reading]:
    """Return the raw readings of a device (a strip: of its outlets) in [start, end)."""
    return Reading.objects.filter(
        device_id__in=energy_device_ids(device), timestamp__gte=start, timestamp__lt=end
    ).order_by("timestamp")


def hourly_between(*, device_ids: list[int], start: datetime, end: datetime) -> QuerySet:
    """Return HourlyRollup rows of these devices for hours in [start, end)."""
    return HourlyRollup.objects.filter(
        device_id__in=device_ids, hour__gte=start, hour__lt=end
    ).order_by("hour")


def energy_device_ids(device: Device) -> list[int]:
    """Devices whose readings make up this one's energy: a strip's are its outlets'."""
    if device.is_strip:
        return list(device.outlets.values_list("id", flat=True))
    return [device.pk]


def system_config() -> SystemConfig:
    return SystemConfig.load()


_HTTPS_MEMO_SECONDS = 5.0
_https_memo: tuple[float, bool] | None = None  # (when read, require_https)


def https_required() -> bool:
    """SystemConfig.require_https, read at most every 5 s per process: every request asks.

    A change through system_config_update is seen at once by the process that made it, and
    within 5 s by the others.
    """
    global _https_memo
    memo, now = _https_memo, time.monotonic()
    if memo is None or now - memo[0] > _HTTPS_MEMO_SECONDS:  # read at inf: kept for good
        try:
            row = SystemConfig.objects.filter(pk=1).values_list("require_https", flat=True)
            memo = _https_memo = (now, bool(row.first()))
        except DatabaseError:  # nothing works without the database; keep what we knew
            return bool(memo and memo[1])
    return memo[1]


def https_required_reset(known: bool | None = None) -> None:
    """Forget the remembered value (read it again next time), or remember `known` for good
    until the next reset (the tests start each test from the default, off)."""
    global _https_memo
    _https_memo = None if known is None else (math.inf, known)


def network_settings() -> dict:
    """Return the spec's network block: mode, discovery, manual adds and the host IP."""
    targets = list(settings.KASA_DISCOVERY_TARGET)
    return {
        "network_mode": "bridge" if Path("/.dockerenv").exists() else "host",
        "discovery_enabled": bool(targets),
        "manual_devices_enabled": True,
        "host_ip": settings.HOST,
        "discovery_targets": targets,
        "polling_interval": SystemConfig.load().polling_interval,
    }


# -- history --------------------------------------------------------------------------------


def history(device: Device, *, start: datetime, end: datetime, interval: str) -> list[dict]:
    """Return points {timestamp (ISO 8601 text), power_w, energy_kwh, cost} for [start, end).

    raw comes from readings; 1h and 6h from hourly rollups; 1d from daily rollups (local
    days), so a year at 1d reads 365 rows per device. cost is None until billing priced
    every hour of the point.
    """
    ids = energy_device_ids(device)
    if interval == "raw":
        return _raw_points(ids, start, end)
    if interval == "1d":
        return _daily_points(ids, start, end)
    return _hourly_points(ids, start, end, INTERVALS[interval])


def _raw_points(ids: list[int], start: datetime, end: datetime) -> list[dict]:
    rows = (
        Reading.objects.filter(device_id__in=ids, timestamp__gte=start, timestamp__lt=end)
        .order_by("timestamp")
        .values_list("timestamp", "power_w", "energy_delta_kwh")
    )
    points: dict[datetime, dict] = {}
    for at, power, energy in rows:  # strip outlets share their strip's poll timestamp
        point = points.setdefault(at, {"power": None, "energy": 0.0})
        if power is not None:
            point["power"] = (point["power"] or 0.0) + power
        point["energy"] += energy
    return [_point(at, p["power"], p["energy"], None) for at, p in points.items()]


def _hourly_points(ids: list[int], start: datetime, end: datetime, size: int) -> list[dict]:
    rows = hourly_between(device_ids=ids, start=start, end=end)
    if size == 1 and len(ids) == 1:  # one row per point: nothing to add up
        # The hour as text: parsing 8,760 datetimes (and the driver's time-zone handling)
        # was a third of a year's request; the API shows text anyway.
        rows = rows.values_list(HOUR_AS_TEXT, "power_sum_w", "samples", "energy_kwh", COST_AS_FLOAT)
        return [_point(hour, s / n if n else 0.0, kwh, cost) for hour, s, n, kwh, cost in rows]
    rows = rows.values_list(
        "device_id", "hour", "power_sum_w", "samples", "energy_kwh", COST_AS_FLOAT
    )
    return _bucketed(rows, lambda hour: hour.replace(hour=hour.hour - hour.hour % size))


def iso(value) -> str | None:
    """A timestamp as the API shows it: ISO 8601, "Z" for UTC (datetimes or HOUR_AS_TEXT)."""
    if isinstance(value, str):
        text = value.replace(" ", "T")
        return text.removesuffix("+00") + "Z"
    return iso_utc(value)


def _daily_points(ids: list[int], start: datetime, end: datetime) -> list[dict]:
    tz = ZoneInfo(settings.TIME_ZONE)
    first, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz)
    rows = (
        DailyRollup.objects.filter(device_id__in=ids, day__gte=first, day__lte=last.date())
        .order_by("day")
        .values_list("device_id", "day", "power_sum_w", "samples", "energy_kwh", COST_AS_FLOAT)
    )
    return _bucketed(rows, lambda day: datetime(day.year, day.month, day.day, tzinfo=tz))


def _bucketed(rows, bucket_of) -> list[dict]:
    """Sum rows per bucket in one pass; power is the sum over devices of each one's mean
    power; cost is None when any row of the bucket is unpriced."""
    points: dict = {}  # bucket -> [energy, cost, {device_id: [power_sum, samples]}]
    for device_id, key, power_sum, samples, kwh, price in rows:
        bucket = bucket_of(key)
        point = points.get(bucket)
        if point is None:
            point = points[bucket] = [0.0, 0.0, {}]
        point[0] += kwh
        if point[1] is not None:
            point[1] = None if price is None else point[1] + price
        power = point[2].get(device_id)
        if power is None:
            point[2][device_id] = [power_sum, samples]
        else:
            power[0] += power_sum
            power[1] += samples
    return [
        _point(bucket, sum(s / n for s, n in power.values() if n), energy, cost)
        for bucket, (energy, cost, power) in points.items()
    ]


def _point(at: datetime | str, power: float | None, energy: float, cost) -> dict:
    return {
        "timestamp": iso(at),
        "power_w": round(power, 3) if power is not None else None,
        "energy_kwh": round(energy, 6),
        "cost": float(round(cost, 6)) if cost is not None else None,
    }


# -- statistics -----------------------------------------------------------------------------


def stats(device: Device, *, today: date | None = None) -> dict:
    """Return the spec's statistics: today, the last 7 days and this month (local days).

    average_power_w, peak_power_w and total_on_time_hours are today's.
    """
    today = today or timezone.localdate()
    week_start, month_start = today - timedelta(days=6), today.replace(day=1)
    rows = DailyRollup.objects.filter(
        device_id__in=energy_device_ids(device),
        day__gte=min(week_start, month_start),
        day__lte=today,
    ).values_list(
        "device_id", "day", "energy_kwh", "cost", "power_sum_w", "samples", "max_power_w",
        "on_seconds",
    )  # fmt: skip
    periods = {"daily": today, "weekly": week_start, "monthly": month_start}
    usage = {name: 0.0 for name in periods}
    costs: dict[str, float | None] = {name: None for name in periods}
    means: list[float] = []
    peak = on_seconds = 0.0
    for _, day, kwh, cost, p_sum, n, p_max, on in rows:
        for name, since in periods.items():
            if day >= since:
                usage[name] += kwh
                if cost is not None:
                    costs[name] = (costs[name] or 0.0) + float(cost)
        if day == today:  # a strip's power is the sum of its outlets' means
            means += [p_sum / n] if n else []
            peak, on_seconds = max(peak, p_max), max(on_seconds, on)
    return {
        **{f"{name}_usage_kwh": round(usage[name], 6) for name in periods},
        **{f"{name}_cost": _money(costs[name]) for name in periods},
        "average_power_w": round(sum(means), 3),
        "peak_power_w": peak,
        "total_on_time_hours": round(on_seconds / 3600, 3),
    }


def _money(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _is_ip(key: str) -> bool:
    try:
        ipaddress.ip_address(key)
    except ValueError:
        return False
    return True
