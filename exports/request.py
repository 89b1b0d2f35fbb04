"""Turn a create/preview request into a checked ExportConfig (400s for anything wrong)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from devices.selectors import device_ids_matching

from . import conf
from .errors import InvalidDateRange, InvalidExportRequest
from .formulas import Formula, compile_formula
from .models import ExportType
from .periods import AGGREGATIONS, preset_of, resolve_range, zone

# field: (name, description, data_type, unit)
METRICS: dict[str, tuple[str, str, str, str]] = {
    "timestamp": ("Timestamp", "Reading time (or bucket start when aggregated)", "datetime", ""),
    "device_ip": ("Device IP", "The device's network address", "string", ""),
    "device_name": ("Device name", "The device's alias", "string", ""),
    "device_id": ("Device ID", "The device's id (MAC or MAC_childid)", "string", ""),
    "power_w": ("Power (Watts)", "Instantaneous power consumption", "float", "W"),
    "energy_kwh": ("Energy (kWh)", "Energy used in the interval", "float", "kWh"),
    "energy_total_kwh": ("Energy meter (kWh)", "The device's cumulative counter", "float", "kWh"),
    "voltage": ("Voltage", "Line voltage", "float", "V"),
    "current": ("Current", "Current draw", "float", "A"),
    "cost": ("Cost", "Calculated energy cost", "float", "currency"),
    "is_on": ("On", "Whether the device was switched on", "boolean", ""),
}
NUMERIC = ("power_w", "energy_kwh", "energy_total_kwh", "voltage", "current", "cost")
DEFAULT_FIELDS = ["timestamp", "device_ip", "device_name", "power_w", "energy_kwh", "voltage",
                  "current", "cost", "is_on"]  # fmt: skip
FUNCTIONS = {"average": "average", "avg": "average", "mean": "average", "sum": "sum",
             "min": "min", "max": "max", "count": "count", "first": "first", "last": "last"}  # fmt: skip
DEFAULT_FUNCTIONS = {"power_w": "average", "energy_kwh": "sum", "cost": "sum", "voltage": "average",
                     "current": "average", "energy_total_kwh": "last", "is_on": "max"}  # fmt: skip
GROUPINGS = ("hourly", "daily", "weekly", "monthly")
BREAKDOWNS = ("device", "time_of_use", "rate_tier")
REPORT_SECTIONS = ("device_summary", "energy_consumption", "cost_breakdown", "system_health",
                   "usage_patterns")  # fmt: skip
PRIVACY = ("anonymize_ip_addresses", "exclude_user_data", "hash_device_identifiers",
           "remove_location_data")  # fmt: skip
COMPRESSION_ALIASES = {True: "zip", "true": "zip", "zip": "zip", "gzip": "gzip", "gz": "gzip",
                       False: "", None: "", "": "", "none": ""}  # fmt: skip


@dataclass
class Filters:
    min_power: float | None = None
    max_power: float | None = None
    states: set[bool] | None = None
    exclude_outliers: bool = False
    day_start: time | None = None
    day_end: time | None = None
    weekdays: set[int] | None = None


@dataclass
class ExportConfig:
    export_type: str
    format: str
    start: datetime
    end: datetime
    tz: ZoneInfo
    preset: str | None = None  # the date_range preset used (the default when none was given)
    compression: str = ""
    device_ids: list[int] = field(default_factory=list)
    fields: list[str] = field(default_factory=lambda: list(DEFAULT_FIELDS))
    aggregation: str = "raw"
    functions: dict[str, str] = field(default_factory=dict)
    filters: Filters = field(default_factory=Filters)
    include_headers: bool = True
    decimal_places: int | None = None
    privacy: set[str] = field(default_factory=set)
    custom_fields: list[tuple[str, str, Formula]] = field(default_factory=list)
    grouping: str = "monthly"
    breakdown_by: list[str] = field(default_factory=lambda: ["device"])
    include_charts: bool = True
    sections: list[str] = field(default_factory=lambda: list(REPORT_SECTIONS))
    event_types: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    chunk_size: int = 10_000
    raw: dict = field(default_factory=dict)


def parse(data: Any, *, now: datetime) -> ExportConfig:
    """Check a request body and return its ExportConfig; the stored form is cfg.raw."""
    if not isinstance(data, dict):
        raise InvalidExportRequest("The request body must be a JSON object.")
    export_type = _choice(data.get("export_type", "device_data"), ExportType.values, "export_type")
    fmt = _format(data.get("format", "csv"))
    options = _dict(data.get("options"), "options")
    tz = zone(options.get("timezone"))
    start, end = resolve_range(data.get("date_range"), tz, now)
    _check_span(start, end)
    cfg = ExportConfig(export_type=export_type, format=fmt, start=start, end=end, tz=tz)
    cfg.preset = preset_of(data.get("date_range"))
    cfg.compression = _compression(data)
    cfg.include_headers = bool(options.get("include_headers", True))
    cfg.decimal_places = _int(options.get("decimal_places"), "options.decimal_places", 0, 10)
    cfg.privacy = _privacy(data.get("privacy_options"))
    cfg.chunk_size = _chunk_size(data.get("performance_options"))
    _device_part(cfg, data)
    _report_part(cfg, data)
    cfg.raw = _stored(data, cfg)
    return cfg


def _device_part(cfg: ExportConfig, data: dict) -> None:
    cfg.device_ids = resolve_devices(data.get("devices"))
    cfg.fields = _fields(data.get("fields"))
    cfg.aggregation = _choice(data.get("aggregation", "raw"), AGGREGATIONS, "aggregation")
    cfg.functions = _functions(data.get("aggregation_functions"))
    cfg.filters = _filters(_dict(data.get("filters"), "filters"))
    cfg.custom_fields = _custom_fields(data.get("custom_fields"))


def _report_part(cfg: ExportConfig, data: dict) -> None:
    cfg.grouping = _choice(data.get("grouping", "monthly"), GROUPINGS, "grouping")
    cfg.breakdown_by = _subset(data.get("breakdown_by"), BREAKDOWNS, "breakdown_by") or ["device"]
    cfg.include_charts = bool(data.get("include_charts", True))
    cfg.sections = _subset(data.get("report_sections"), REPORT_SECTIONS, "report_sections") or list(
        REPORT_SECTIONS
    )
    cfg.event_types = _strings(data.get("event_types"), "event_types")
    cfg.severities = [s.lower() for s in _strings(data.get("severity_levels"), "severity_levels")]
    cfg.users = _strings(data.get("users"), "users")


def _stored(data: dict, cfg: ExportConfig) -> dict:
    stored = {k: v for k, v in data.items() if k != "date_range"}
    stored["date_range"] = {"start": cfg.start.isoformat(), "end": cfg.end.isoformat(),
                            "preset": cfg.preset}  # fmt: skip
    stored["format"] = cfg.format
    stored["export_type"] = cfg.export_type
    return stored


def resolve_devices(value: Any) -> list[int]:
    """Return device pks for IPs, numeric ids or device ids/MACs; [] means every device."""
    if value in (None, "all", "", []):
        return []
    keys = [value] if isinstance(value, str | int) else value
    if not isinstance(keys, list):
        raise InvalidExportRequest("devices is a list of device IPs or ids, or 'all'.", "devices")
    found: list[int] = []
    for key in keys:
        matches = device_ids_matching(_device_q(str(key)))
        if not matches:
            raise InvalidExportRequest(f"No device {key!r}.", "devices")
        found += [pk for pk in matches if pk not in found]
    return found


def _device_q(key: str) -> Q:
    q = Q(device_id__iexact=key) | Q(mac__iexact=key)
    if key.isascii() and key.isdigit():  # "²".isdigit() is True, but int("²") fails
        return q | Q(pk=int(key))
    return q | Q(host=key) if key.count(".") == 3 or ":" in key else q


def _check_span(start: datetime, end: datetime) -> None:
    days = conf.limit("max_date_range_days")
    if (end - start).total_seconds() > days * 86400 + 3600:  # an hour of DST slack
        raise InvalidDateRange(f"The date range may span at most {days} days.")


def _format(value: Any) -> str:
    if isinstance(value, str):  # a dict or list is unhashable: let _choice refuse it
        value = conf.FORMAT_ALIASES.get(value, value)
    return _choice(value, list(conf.FORMATS), "format")


def _compression(data: dict) -> str:
    value = data.get(
        "compression",
        _dict(data.get("performance_options"), "performance_options").get("compression"),
    )
    key = value.lower() if isinstance(value, str) else value
    if not isinstance(key, str | bool | None) or key not in COMPRESSION_ALIASES:
        raise InvalidExportRequest("compression is 'zip', 'gzip', true or false.", "compression")
    return COMPRESSION_ALIASES[key]


def _chunk_size(value: Any) -> int:
    size = _dict(value, "performance_options").get("chunk_size", conf.limit("chunk_size"))
    return _int(size, "performance_options.chunk_size", 100, 100_000)


def _fields(value: Any) -> list[str]:
    if value in (None, []):
        return list(DEFAULT_FIELDS)
    fields = _strings(value, "fields")
    unknown = [f for f in fields if f not in METRICS]
    if unknown:
        raise InvalidExportRequest(
            f"Unknown fields {unknown}; see GET /api/exports/metrics.", "fields"
        )
    return list(dict.fromkeys(fields))


def _functions(value: Any) -> dict[str, str]:
    functions = dict(DEFAULT_FUNCTIONS)
    for name, fn in _dict(value, "aggregation_functions").items():
        if name not in METRICS or name in ("timestamp", "device_ip", "device_name", "device_id"):
            raise InvalidExportRequest(f"Cannot aggregate {name!r}.", "aggregation_functions")
        functions[name] = FUNCTIONS.get(str(fn).lower()) or _bad_function(fn)
    return functions


def _bad_function(fn: Any) -> str:
    raise InvalidExportRequest(
        f"Unknown aggregation function {fn!r}; use {', '.join(FUNCTIONS)}.",
        "aggregation_functions",
    )


def _filters(raw: dict) -> Filters:
    f = Filters()
    f.min_power = _number(raw.get("min_power"), "filters.min_power")
    f.max_power = _number(raw.get("max_power"), "filters.max_power")
    states = _subset(raw.get("device_states"), ("on", "off"), "filters.device_states")
    f.states = {s == "on" for s in states} if states else None
    f.exclude_outliers = bool(raw.get("exclude_outliers", False))
    window = _dict(raw.get("time_of_day"), "filters.time_of_day")
    if window:
        f.day_start = _clock(window.get("start", "00:00"), "filters.time_of_day.start")
        f.day_end = _clock(window.get("end", "23:59"), "filters.time_of_day.end")
    days = raw.get("days_of_week")
    if days not in (None, []):
        if not isinstance(days, list) or not all(isinstance(d, int) and 1 <= d <= 7 for d in days):
            raise InvalidExportRequest(
                "days_of_week is a list of 1 (Monday) .. 7 (Sunday).", "filters.days_of_week"
            )
        f.weekdays = set(days)
    return f


def _custom_fields(value: Any) -> list[tuple[str, str, Formula]]:
    if value in (None, []):
        return []
    if not isinstance(value, list):
        raise InvalidExportRequest(
            "custom_fields is a list of {name, formula, unit}.", "custom_fields"
        )
    compiled = []
    for i, item in enumerate(value):
        item = _dict(item, f"custom_fields[{i}]")
        name = item.get("name")
        if not isinstance(name, str) or not name.isidentifier() or name in METRICS:
            raise InvalidExportRequest(
                f"custom_fields[{i}].name must be a new identifier.", "custom_fields"
            )
        formula = compile_formula(item.get("formula"), NUMERIC)
        compiled.append((name, str(item.get("unit", "")), formula))
    return compiled


def _privacy(value: Any) -> set[str]:
    raw = _dict(value, "privacy_options")
    unknown = set(raw) - set(PRIVACY)
    if unknown:
        raise InvalidExportRequest(f"Unknown privacy options {sorted(unknown)}.", "privacy_options")
    return {k for k, v in raw.items() if v}


def _clock(value: Any, path: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidExportRequest(f"{path} is a time like '06:00'.", path) from exc


def _dict(value: Any, path: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidExportRequest(f"{path} must be an object.", path)
    return value


def _strings(value: Any, path: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidExportRequest(f"{path} must be a list of strings.", path)
    return value


def _subset(value: Any, allowed, path: str) -> list[str]:
    items = _strings(value, path)
    bad = [v for v in items if v not in allowed]
    if bad:
        raise InvalidExportRequest(f"Unknown {path} {bad}; use {', '.join(allowed)}.", path)
    return items


def _choice(value: Any, allowed, path: str) -> str:
    if value not in allowed:
        raise InvalidExportRequest(f"{path} must be one of {', '.join(allowed)}.", path)
    return value


def _number(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidExportRequest(f"{path} must be a number.", path)
    return float(value)


def _int(value: Any, path: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidExportRequest(f"{path} must be a whole number from {low} to {high}.", path)
    return value
