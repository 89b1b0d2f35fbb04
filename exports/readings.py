"""device_data: readings streamed from the database, filtered, priced and optionally aggregated.

Rows are read with values_list().iterator(chunk_size) ordered by (device, timestamp), and the
hourly rollups (for cost) are walked alongside in the same order, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from math import sqrt

from django.db import connection
from django.db.models import Avg, F

from billing.selectors import rollups_priced
from devices.selectors import READING_COLUMNS, devices_by_alias, hourly_in, readings_in

from .periods import bucketer
from .request import METRICS, NUMERIC, ExportConfig
from .tables import Column, Progress, Table, device_labels, rounder

KINDS = {"datetime": "datetime", "float": "float", "boolean": "bool", "string": "string"}


def readings_queryset(cfg: ExportConfig):
    """Return the readings an export covers, with the filters the database can apply."""
    qs = readings_in(start=cfg.start, end=cfg.end)
    if cfg.device_ids:
        qs = qs.filter(device_id__in=cfg.device_ids)
    f = cfg.filters
    if f.min_power is not None:
        qs = qs.filter(power_w__gte=f.min_power)
    if f.max_power is not None:
        qs = qs.filter(power_w__lte=f.max_power)
    if f.states is not None:
        qs = qs.filter(is_on__in=list(f.states))
    return qs


def columns(cfg: ExportConfig) -> list[Column]:
    cols = [Column(k, METRICS[k][0], KINDS[METRICS[k][2]], METRICS[k][3]) for k in cfg.fields]
    return cols + [Column(name, name, "float", unit) for name, unit, _ in cfg.custom_fields]


def device_data_table(cfg: ExportConfig, progress: Progress | None = None) -> Table:
    """Return the device_data table; its rows are a generator reading the database lazily."""
    return Table("device_data", "Device data", columns(cfg), _rows(cfg, progress))


def _rows(cfg: ExportConfig, progress: Progress | None) -> Iterator[tuple]:
    if cfg.aggregation == "raw" and not cfg.custom_fields:
        return _raw_rows(cfg, progress)
    return _record_rows(cfg, progress)


# What _raw_rows builds for each reading, before picking the wanted columns from it.
EXTENDED = ("device", "timestamp", "is_on", "power_w", "voltage", "current",
            "energy_total_kwh", "energy_kwh", "cost", "device_ip", "device_name", "device_id")  # fmt: skip


def _raw_rows(cfg: ExportConfig, progress: Progress | None) -> Iterator[tuple]:
    """Raw readings straight into output rows, without a dict per reading: a million-row
    export spends its time per row. The same values as _record_rows gives."""
    keys = [c.key for c in columns(cfg)]
    positions = [EXTENDED.index(k) for k in keys]
    labels = {
        pk: (d["device_ip"], d["device_name"], d["device_id"]) for pk, d in _labels(cfg).items()
    }
    price = _pricer(cfg) if "cost" in keys else None
    rounded = (
        [n for n, k in enumerate(keys) if k in NUMERIC] if cfg.decimal_places is not None else []
    )
    rnd = rounder(cfg.decimal_places)
    tz = cfg.tz
    for dev, ts, on, power, volts, amps, total, delta in _kept_readings(cfg, progress):
        cost = price(dev, ts, delta) if price else None
        ext = (dev, ts.astimezone(tz), on, power, volts, amps, total, delta, cost, *labels[dev])
        row = [ext[n] for n in positions]
        for n in rounded:
            row[n] = rnd(row[n])
        yield tuple(row)


def _record_rows(cfg: ExportConfig, progress: Progress | None) -> Iterator[tuple]:
    records = _records(cfg, progress)
    if cfg.aggregation != "raw":
        records = _aggregate(records, cfg)
    keys = [c.key for c in columns(cfg)]
    labels = _labels(cfg)
    rnd = rounder(cfg.decimal_places)
    for rec in records:
        for name, _unit, formula in cfg.custom_fields:
            rec[name] = formula(rec)
        rec.update(labels[rec["device"]])
        yield tuple(_value(rec.get(k), rnd) for k in keys)


def _value(value, rnd):
    return rnd(value) if type(value) is float else value


def _labels(cfg: ExportConfig) -> dict[int, dict]:
    devices = devices_by_alias()
    if cfg.device_ids:
        devices = devices.filter(pk__in=cfg.device_ids)
    return {d.pk: device_labels(d, cfg.privacy) for d in devices}


def _stream(cfg: ExportConfig, qs) -> Iterator[tuple]:
    """Yield value tuples in chunks straight from the driver, skipping Django's per-row
    iterable and converters (a third of the time of a million-row export): on PostgreSQL a
    server-side cursor (aware datetimes already), on SQLite a plain cursor with our own
    timestamp parsing."""
    sql, params = qs.query.sql_with_params()
    if connection.vendor == "postgresql":
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(cfg.chunk_size):
                yield from chunk
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(cfg.chunk_size):
            for dev, ts, *rest in chunk:
                # Django's SQLite adapter gives naive UTC datetimes (or text for odd rows).
                ts = datetime.fromisoformat(ts) if isinstance(ts, str) else ts
                yield (dev, ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts, *rest)


def _kept_readings(cfg: ExportConfig, progress: Progress | None) -> Iterator[tuple]:
    """The export's readings as READING_COLUMNS tuples, in device and time order, past the
    filters SQL cannot apply; progress is reported per chunk of rows read."""
    qs = readings_queryset(cfg).order_by("device_id", "timestamp").values_list(*READING_COLUMNS)
    keep = _python_filter(cfg)
    for seen, row in enumerate(_stream(cfg, qs), 1):
        if progress and seen % cfg.chunk_size == 0:
            progress(seen)
        if keep is None or keep(row[0], row[1], row[3]):  # device, timestamp, power
            yield row


def _records(cfg: ExportConfig, progress: Progress | None) -> Iterator[dict]:
    price = _pricer(cfg) if _needs_cost(cfg) else None
    tz = cfg.tz
    for dev, ts, on, power, volts, amps, total, delta in _kept_readings(cfg, progress):
        yield {
            "device": dev, "timestamp": ts.astimezone(tz), "is_on": on, "power_w": power,
            "voltage": volts, "current": amps, "energy_total_kwh": total, "energy_kwh": delta,
            "cost": price(dev, ts, delta) if price else None,
        }  # fmt: skip


def _needs_cost(cfg: ExportConfig) -> bool:
    return "cost" in cfg.fields or bool(cfg.custom_fields)


def _python_filter(cfg: ExportConfig):
    """Return a predicate for what SQL can't filter portably (local clock, weekday, outliers)."""
    f, tz = cfg.filters, cfg.tz
    bounds = _outlier_bounds(cfg) if f.exclude_outliers else None
    if f.day_start is None and f.weekdays is None and bounds is None:
        return None

    def keep(dev: int, ts: datetime, power: float | None) -> bool:
        local = ts.astimezone(tz)
        if f.weekdays is not None and local.isoweekday() not in f.weekdays:
            return False
        if f.day_start is not None and not _in_window(local.time(), f.day_start, f.day_end):
            return False
        if bounds is not None and power is not None and dev in bounds:
            low, high = bounds[dev]
            return low <= power <= high
        return True

    return keep


def _in_window(t, start, end) -> bool:
    return start <= t < end if start <= end else (t >= start or t < end)


def _outlier_bounds(cfg: ExportConfig) -> dict[int, tuple[float, float]]:
    """Per device mean ± 3 standard deviations of power (a population statistic)."""
    stats = (
        readings_queryset(cfg)
        .exclude(power_w=None)
        .values("device_id")
        .annotate(mean=Avg("power_w"), square=Avg(F("power_w") * F("power_w")))
    )
    bounds = {}
    for row in stats:
        sd = sqrt(max(row["square"] - row["mean"] ** 2, 0.0))
        bounds[row["device_id"]] = (row["mean"] - 3 * sd, row["mean"] + 3 * sd)
    return bounds


def _pricer(cfg: ExportConfig):
    """A reading's cost is its share, by energy, of its UTC hour's cost as billing stored it
    (None if unpriced); the hours' costs stream beside the readings in one query."""
    rollups = hourly_in(start=_hour(cfg.start), end=cfg.end)
    if cfg.device_ids:
        rollups = rollups.filter(device_id__in=cfg.device_ids)
    walk = (
        rollups_priced(rollups)
        .order_by("device_id", "hour")
        .values_list("device_id", "hour", "energy_kwh", "cost")
    )
    stream = walk.iterator(chunk_size=cfg.chunk_size)
    current = [None, None, 0.0, None]
    span = timedelta(hours=1)

    def price(dev: int, ts: datetime, delta: float) -> float | None:
        if current[0] == dev and current[1] <= ts < current[1] + span:  # most readings: same hour
            return _share(current, delta)
        key = (dev, _hour(ts))
        while current[0] is None or (current[0], current[1]) < key:
            nxt = next(stream, None)
            if nxt is None:
                current[:] = [float("inf"), None, 0.0, None]
                return None
            current[:] = nxt
        if (current[0], current[1]) != key:
            return None
        return _share(current, delta)

    return price


def _share(rollup: list, delta: float) -> float | None:
    _dev, _hour_start, energy, cost = rollup
    if cost is None:
        return None
    return float(cost) * (delta or 0.0) / energy if energy else 0.0


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class _Bucket:
    __slots__ = ("values", "counts")

    def __init__(self):
        self.values: dict[str, float | None] = {}
        self.counts: dict[str, int] = {}


def _aggregate(records: Iterator[dict], cfg: ExportConfig) -> Iterator[dict]:
    """Fold consecutive records of one device and bucket with the per-field functions."""
    to_bucket = bucketer(cfg.aggregation, cfg.tz)
    fields = [f for f in METRICS if f in cfg.functions]
    key, bucket = None, None
    for rec in records:
        rec_key = (rec["device"], to_bucket(rec["timestamp"]))
        if rec_key != key:
            if bucket is not None:
                yield _finish(key, bucket, cfg, fields)
            key, bucket = rec_key, _Bucket()
        for name in fields:
            _fold(bucket, name, cfg.functions[name], rec[name])
    if bucket is not None:
        yield _finish(key, bucket, cfg, fields)


def _fold(bucket: _Bucket, name: str, fn: str, value) -> None:
    if value is None:
        return
    value = float(value)
    old = bucket.values.get(name)
    bucket.counts[name] = bucket.counts.get(name, 0) + 1
    if old is None or fn == "last":
        bucket.values[name] = value if fn != "count" else 1.0
    elif fn in ("sum", "average"):
        bucket.values[name] = old + value
    elif fn == "min":
        bucket.values[name] = min(old, value)
    elif fn == "max":
        bucket.values[name] = max(old, value)
    elif fn == "count":
        bucket.values[name] = old + 1


def _finish(key, bucket: _Bucket, cfg: ExportConfig, fields: list[str]) -> dict:
    rec = {"device": key[0], "timestamp": key[1]}
    for name in fields:
        value = bucket.values.get(name)
        if value is not None and cfg.functions[name] == "average":
            value /= bucket.counts[name]
        rec[name] = value
    if rec.get("is_on") is not None and cfg.functions["is_on"] in ("max", "min", "first", "last"):
        rec["is_on"] = bool(rec["is_on"])
    return rec
