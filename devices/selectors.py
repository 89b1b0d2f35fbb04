"""Reads of the devices app that views and other apps may call."""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    F,
    FloatField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from kasamonitor.timestamps import iso_utc
from system import selectors as system_selectors

from . import runs as appliance_runs  # noqa: F401 (public: the appliance-run detection)
from .errors import DeviceNotFound
from .models import (
    READING_COLUMNS,  # noqa: F401 (public: the columns of readings_in rows)
    DailyRollup,
    Device,
    HourlyRollup,
    Outage,
    Reading,
)

MAC = re.compile(r"^([0-9A-F]{2}[:-]){5}[0-9A-F]{2}(_.+)?$", re.IGNORECASE)
STRIPS_FIRST = F("parent_id").asc(nulls_first=True)  # PostgreSQL sorts NULLs last by default
INTERVALS = {"raw": None, "1h": 1, "6h": 6, "1d": 24}
# History shows costs as JSON numbers: read them as floats, skipping a Decimal per row.
COST_AS_FLOAT = Cast("cost", FloatField())
# An hour as the database writes it in UTC: '2026-01-01 05:00:00' (SQLite keeps UTC naive)
# or '2026-01-01 05:00:00+00' (PostgreSQL; Django sets the session time zone to UTC).
HOUR_AS_TEXT = Cast("hour", CharField())


# -- costs: billing's, read through the reader billing plugs in ---------------------------


class CostReader(Protocol):
    """How the devices app reads money, which billing owns (billing.selectors.RollupCosts)."""

    def hourly(self, rollups: QuerySet[HourlyRollup]) -> QuerySet:
        """The rollups, each annotated with `cost` (Decimal, None while unpriced) and
        `co2_g` (grams of CO2, None as cost)."""

    def device_hours(self, device_id: int, start: datetime, end: datetime) -> dict:
        """{HOUR_AS_TEXT of an hour: (kWh priced, cost, g CO2)} of one device's priced hours."""

    def daily(
        self, device_ids: list[int] | None, first: date, last: date
    ) -> dict[tuple[int, date], Decimal]:
        """{(device pk, settings.TIME_ZONE day): cost} of the priced device-days."""

    def daily_rollups(self, rollups: QuerySet[DailyRollup]) -> QuerySet:
        """The daily rollups, each annotated with `cost` (the admin's list)."""

    def daily_co2(
        self, device_ids: list[int] | None, first: date, last: date
    ) -> dict[tuple[int, date], float]:
        """{(device pk, settings.TIME_ZONE day): grams of CO2} of the priced device-days."""


class _NoCosts:
    """Until billing plugs its reader in (billing/apps.py): nothing is priced."""

    def hourly(self, rollups):
        return rollups.annotate(
            cost=Value(None, output_field=DecimalField()),
            co2_g=Value(None, output_field=FloatField()),
        )

    def device_hours(self, device_id, start, end):
        return {}

    def daily(self, device_ids, first, last):
        return {}

    def daily_rollups(self, rollups):
        return self.hourly(rollups)

    def daily_co2(self, device_ids, first, last):
        return {}


_costs: CostReader = _NoCosts()


def costs_read_by(reader: CostReader) -> None:
    """Read every cost figure through reader (billing calls this at start-up, as it connects
    its receiver to rollups_updated: the devices app never imports billing)."""
    global _costs
    _costs = reader


def hourly_with_costs(rollups: QuerySet[HourlyRollup]) -> QuerySet[HourlyRollup]:
    """The hourly rollups, each with `cost` as billing stored it (None while unpriced)."""
    return _costs.hourly(rollups)


def daily_with_costs(rollups: QuerySet[DailyRollup]) -> QuerySet[DailyRollup]:
    """The daily rollups, each with `cost`: billing's sum of the day (the admin's list)."""
    return _costs.daily_rollups(rollups)


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


def hourly_between(*, device_ids: list[int], start: datetime, end: datetime) -> QuerySet:
    """Return HourlyRollup rows of these devices for hours in [start, end)."""
    return HourlyRollup.objects.filter(
        device_id__in=device_ids, hour__gte=start, hour__lt=end
    ).order_by("hour")


def devices_by_alias() -> QuerySet[Device]:
    """Return every device, ordered by alias."""
    return Device.objects.all()


def devices_enabled(*, emeter_only: bool = False) -> QuerySet[Device]:
    """Return the enabled devices, optionally only those that measure power."""
    devices = Device.objects.filter(enabled=True)
    return devices.filter(has_emeter=True) if emeter_only else devices


def readings_since(*, device_ids: list[int], since: datetime) -> QuerySet[Reading]:
    """Return these devices' raw readings from `since` on, unordered."""
    return Reading.objects.filter(device_id__in=device_ids, timestamp__gte=since)


def hourly_since(*, start: datetime) -> QuerySet[HourlyRollup]:
    """Return every device's hourly rollups from the hour `start` on, unordered."""
    return HourlyRollup.objects.filter(hour__gte=start)


def hourly_all() -> QuerySet[HourlyRollup]:
    """Return every hourly rollup, unordered (billing finds the span of the data)."""
    return HourlyRollup.objects.order_by()


def hourly_written_since(moment: datetime | None) -> QuerySet[HourlyRollup]:
    """Return the hourly rollups written (by a poll, a backfill or an import) at or after
    moment, unordered; every one when moment is None. Indexed: few rows for a recent moment."""
    rows = HourlyRollup.objects.order_by()
    return rows if moment is None else rows.filter(updated_at__gte=moment)


def device_count() -> int:
    return Device.objects.count()


def device_ids_matching(q: Q) -> list[int]:
    """Return the pks of the devices a Q over Device fields selects."""
    return list(Device.objects.filter(q).values_list("pk", flat=True))


def devices_with_reading_counts() -> QuerySet[Device]:
    """Return every device by alias, each with `points`: its number of stored readings."""
    return Device.objects.annotate(points=Count("readings")).order_by("alias", "id")


def readings_in(*, start: datetime, end: datetime) -> QuerySet[Reading]:
    """Return every device's raw readings in [start, end), unordered (callers filter further).

    READING_COLUMNS names the columns a caller streams with values_list().
    """
    return Reading.objects.filter(timestamp__gte=start, timestamp__lt=end)


def hourly_in(*, start: datetime, end: datetime) -> QuerySet[HourlyRollup]:
    """Return every device's hourly rollups for hours in [start, end), unordered."""
    return HourlyRollup.objects.filter(hour__gte=start, hour__lt=end)


def dashboard_devices(*, today: date | None = None) -> list[dict]:
    """Return the top-level devices with today's and this month's kWh and cost (local days);
    a strip's card holds its outlets' cards under "outlets".

    A strip's figures are the sums of its outlets', as energy_device_ids defines them; one
    aggregate query serves the whole page.
    """
    today = today or timezone.localdate()
    totals = _month_totals(today)
    devices = list(Device.objects.select_related("parent").order_by("alias", "id"))
    cards = {d.pk: {"device": d, "outlets": []} for d in devices}
    for device in devices:
        if device.parent_id in cards:
            cards[device.parent_id]["outlets"].append(cards[device.pk])
            _add_into(totals[device.parent_id], totals[device.pk])
    for card in cards.values():
        card.update(_rounded(totals[card["device"].pk]))
        card["outlets"].sort(key=lambda c: (c["device"].child_id or "", c["device"].pk))
    return [c for c in cards.values() if c["device"].parent_id not in cards]


def _month_totals(today: date) -> defaultdict:
    first, is_today = today.replace(day=1), Q(day=today)
    rows = (
        DailyRollup.objects.filter(day__gte=first, day__lte=today)
        .values("device_id")
        .annotate(month_kwh=Sum("energy_kwh"), today_kwh=Sum("energy_kwh", filter=is_today))
    )
    totals: defaultdict = defaultdict(dict)
    for row in rows:
        totals[row.pop("device_id")] = {**row, "month_cost": None, "today_cost": None}
    for (device_id, day), cost in _costs.daily(None, first, today).items():
        row = totals[device_id]
        row["month_cost"] = (row.get("month_cost") or Decimal(0)) + cost
        if day == today:
            row["today_cost"] = (row.get("today_cost") or Decimal(0)) + cost
    for (device_id, day), grams in _costs.daily_co2(None, first, today).items():
        row = totals[device_id]
        row["month_co2_kg"] = (row.get("month_co2_kg") or 0.0) + grams / 1000
        if day == today:
            row["today_co2_kg"] = (row.get("today_co2_kg") or 0.0) + grams / 1000
    return totals


def _add_into(target: dict, extra: dict) -> None:
    for key, value in extra.items():
        if value is not None:
            target[key] = (target.get(key) or 0) + value


def _rounded(row: dict) -> dict:
    keys = ("today_kwh", "today_cost", "today_co2_kg", "month_kwh", "month_cost", "month_co2_kg")
    return {k: (float(row[k]) if row.get(k) is not None else None) for k in keys}


def daily_in(*, first: date, last: date) -> QuerySet[DailyRollup]:
    """Return every device's daily rollups for local days first..last (inclusive), unordered."""
    return DailyRollup.objects.filter(day__gte=first, day__lte=last)


def outages_before(*, devices, end: datetime) -> QuerySet[Outage]:
    """Return the outages of these devices that started before end."""
    return Outage.objects.filter(device__in=devices, started_at__lt=end)


def energy_device_ids(device: Device) -> list[int]:
    """Devices whose readings make up this one's energy: a strip's are its outlets'."""
    if device.is_strip:
        return list(device.outlets.values_list("id", flat=True))
    return [device.pk]


def network_settings() -> dict:
    """Return the spec's network block: mode, discovery, manual adds and the host IP."""
    targets = list(settings.KASA_DISCOVERY_TARGET)
    return {
        "network_mode": "bridge" if Path("/.dockerenv").exists() else "host",
        "discovery_enabled": bool(targets),
        "manual_devices_enabled": True,
        "host_ip": settings.HOST,
        "discovery_targets": targets,
        "polling_interval": system_selectors.system_config().polling_interval,
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
    return [_point(at, p["power"], p["energy"], None, None) for at, p in points.items()]


def _hourly_points(ids: list[int], start: datetime, end: datetime, size: int) -> list[dict]:
    rows = hourly_between(device_ids=ids, start=start, end=end)
    if size == 1 and len(ids) == 1:  # one row per point: nothing to add up
        # The hour as text: parsing 8,760 datetimes (and the driver's time-zone handling)
        # was a third of a year's request; the API shows text anyway. Costs: one range
        # query, each hour's looked up by that text (priced for the hour's present energy).
        rows = rows.values_list(HOUR_AS_TEXT, "power_sum_w", "samples", "energy_kwh")
        priced = _costs.device_hours(ids[0], start, end)
        return [
            _point(hour, s / n if n else 0.0, kwh, *_priced_for(priced.get(hour), kwh))
            for hour, s, n, kwh in rows
        ]
    rows = _costs.hourly(rows).values_list(
        "device_id", "hour", "power_sum_w", "samples", "energy_kwh", COST_AS_FLOAT, "co2_g"
    )
    return _bucketed(rows, lambda hour: hour.replace(hour=hour.hour - hour.hour % size))


def _priced_for(stored: tuple | None, kwh: float) -> tuple[float | None, float | None]:
    """(cost, g CO2) of an hour priced for its present energy, else (None, None)."""
    return (stored[1], stored[2]) if stored is not None and stored[0] == kwh else (None, None)


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
        .values_list("device_id", "day", "power_sum_w", "samples", "energy_kwh")
    )
    costs = _costs.daily(ids, first, last.date())
    grams = _costs.daily_co2(ids, first, last.date())
    rows = (
        (*row, _float(costs.get((row[0], row[1]))), grams.get((row[0], row[1]))) for row in rows
    )
    return _bucketed(rows, lambda day: datetime(day.year, day.month, day.day, tzinfo=tz))


def _float(cost: Decimal | None) -> float | None:
    return None if cost is None else float(cost)


def _bucketed(rows, bucket_of) -> list[dict]:
    """Sum rows per bucket in one pass; power is the sum over devices of each one's mean
    power; cost and grams of CO2 are None when any row of the bucket is unpriced."""
    points: dict = {}  # bucket -> [energy, cost, {device_id: [power_sum, samples]}, g CO2]
    for device_id, key, power_sum, samples, kwh, price, grams in rows:
        bucket = bucket_of(key)
        point = points.get(bucket)
        if point is None:
            point = points[bucket] = [0.0, 0.0, {}, 0.0]
        point[0] += kwh
        if point[1] is not None:
            point[1] = None if price is None else point[1] + price
        if point[3] is not None:
            point[3] = None if grams is None else point[3] + grams
        power = point[2].get(device_id)
        if power is None:
            point[2][device_id] = [power_sum, samples]
        else:
            power[0] += power_sum
            power[1] += samples
    return [
        _point(bucket, sum(s / n for s, n in power.values() if n), energy, cost, grams)
        for bucket, (energy, cost, power, grams) in points.items()
    ]


def _point(at: datetime | str, power: float | None, energy: float, cost, grams) -> dict:
    return {
        "timestamp": iso(at),
        "power_w": round(power, 3) if power is not None else None,
        "energy_kwh": round(energy, 6),
        "cost": float(round(cost, 6)) if cost is not None else None,
        "co2_kg": round(grams / 1000, 6) if grams is not None else None,
    }


# -- statistics -----------------------------------------------------------------------------


def stats(device: Device, *, today: date | None = None) -> dict:
    """Return the spec's statistics: today, the last 7 days and this month (local days).

    average_power_w, peak_power_w and total_on_time_hours are today's.
    """
    today = today or timezone.localdate()
    week_start, month_start = today - timedelta(days=6), today.replace(day=1)
    ids, first = energy_device_ids(device), min(week_start, month_start)
    rows = DailyRollup.objects.filter(device_id__in=ids, day__gte=first, day__lte=today)
    rows = rows.values_list(
        "device_id", "day", "energy_kwh", "power_sum_w", "samples", "max_power_w", "on_seconds"
    )
    priced = _costs.daily(ids, first, today)
    grams = _costs.daily_co2(ids, first, today)
    periods = {"daily": today, "weekly": week_start, "monthly": month_start}
    usage = {name: 0.0 for name in periods}
    costs: dict[str, float | None] = {name: None for name in periods}
    co2: dict[str, float | None] = {name: None for name in periods}
    means: list[float] = []
    peak = on_seconds = 0.0
    for device_id, day, kwh, p_sum, n, p_max, on in rows:
        cost, g = priced.get((device_id, day)), grams.get((device_id, day))
        for name, since in periods.items():
            if day >= since:
                usage[name] += kwh
                if cost is not None:
                    costs[name] = (costs[name] or 0.0) + float(cost)
                if g is not None:
                    co2[name] = (co2[name] or 0.0) + g / 1000
        if day == today:  # a strip's power is the sum of its outlets' means
            means += [p_sum / n] if n else []
            peak, on_seconds = max(peak, p_max), max(on_seconds, on)
    return {
        **{f"{name}_usage_kwh": round(usage[name], 6) for name in periods},
        **{f"{name}_cost": _money(costs[name]) for name in periods},
        **{f"{name}_co2_kg": _kg(co2[name]) for name in periods},
        "average_power_w": round(sum(means), 3),
        "peak_power_w": peak,
        "total_on_time_hours": round(on_seconds / 3600, 3),
    }


def _money(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _kg(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _is_ip(key: str) -> bool:
    try:
        ipaddress.ip_address(key)
    except ValueError:
        return False
    return True
