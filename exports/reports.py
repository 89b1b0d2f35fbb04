"""system_report and audit_logs: report sections (tables + charts) built from read-only queries."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from accounts.permissions import has_permission
from billing.selectors import rollups_priced
from devices.selectors import devices_by_alias, hourly_in, outages_before, readings_in
from security.selectors import audit_in

from .request import ExportConfig
from .tables import Chart, Column, Document, Table, anonymize_ip, device_labels, rounder


def audit_queryset(cfg: ExportConfig, user):
    """Return the audit events an export covers; without system.logs a user sees only their own."""
    qs = audit_in(start=cfg.start, end=cfg.end)
    if not has_permission(user, "system.logs"):
        qs = qs.filter(actor=user)
    if cfg.event_types:
        qs = qs.filter(_any("action__iexact", cfg.event_types))
    if cfg.severities:
        qs = qs.filter(severity__in=cfg.severities)
    if cfg.users:
        qs = qs.filter(_any("actor_username__iexact", cfg.users))
    return qs


def _any(lookup: str, values: list[str]) -> Q:
    q = Q()
    for value in values:
        q |= Q(**{lookup: value})
    return q


AUDIT_FIELDS = ("created_at", "action", "severity", "outcome", "actor_username", "ip_address",
                "user_agent", "target_type", "target_id", "target_repr", "details")  # fmt: skip


def audit_table(cfg: ExportConfig, user, progress=None) -> Table:
    """Return the audit_logs table, streamed oldest first."""
    columns = [Column("timestamp", "Timestamp", "datetime"), Column("event_type", "Event type"),
               Column("severity", "Severity"), Column("outcome", "Outcome"), Column("user", "User"),
               Column("ip_address", "IP address"), Column("user_agent", "User agent"),
               Column("target_type", "Target type"), Column("target_id", "Target id"),
               Column("target", "Target"), Column("details", "Details")]  # fmt: skip
    return Table("audit_logs", "Audit log", columns, _audit_rows(cfg, user, progress))


def _audit_rows(cfg: ExportConfig, user, progress):
    qs = audit_queryset(cfg, user).order_by("created_at", "id").values_list(*AUDIT_FIELDS)
    hide_user = "exclude_user_data" in cfg.privacy
    for n, (at, action, sev, outcome, who, ip, agent, ttype, tid, trepr, details) in enumerate(
        qs.iterator(chunk_size=cfg.chunk_size), 1
    ):
        if progress and n % cfg.chunk_size == 0:
            progress(n)
        if ip and "anonymize_ip_addresses" in cfg.privacy:
            ip = anonymize_ip(ip)
        if hide_user:
            who, ip, agent = None, None, None
        yield (at.astimezone(cfg.tz), action, sev, outcome, who, ip, agent, ttype, tid, trepr,
               json.dumps(details, sort_keys=True, default=str))  # fmt: skip


def system_report(cfg: ExportConfig) -> Document:
    """Return the system report with the requested sections, each a table and a chart."""
    builders = {
        "device_summary": _device_summary,
        "energy_consumption": _energy,
        "cost_breakdown": _cost_breakdown,
        "system_health": _health,
        "usage_patterns": _usage_patterns,
    }
    tables = [builders[name](cfg) for name in cfg.sections]
    meta = {"sections": cfg.sections}
    return Document("System report", meta, tables, single=False, charts=cfg.include_charts)


def _devices(cfg: ExportConfig):
    qs = devices_by_alias()
    return qs.filter(pk__in=cfg.device_ids) if cfg.device_ids else qs


def _hourly(cfg: ExportConfig):
    """The range's hourly rollups, each with billing's cost (`cost`, None while unpriced)."""
    qs = hourly_in(start=cfg.start, end=cfg.end)
    return rollups_priced(qs.filter(device_id__in=cfg.device_ids) if cfg.device_ids else qs)


def _device_summary(cfg: ExportConfig) -> Table:
    rnd = rounder(cfg.decimal_places if cfg.decimal_places is not None else 3)
    sums = {r["device_id"]: r for r in _hourly(cfg).values("device_id").annotate(
        energy=Sum("energy_kwh"), money=Sum("cost"), peak=Max("max_power_w"))}  # fmt: skip
    counts = dict(
        readings_in(start=cfg.start, end=cfg.end)
        .values_list("device_id").annotate(n=Count("id")).values_list("device_id", "n")
    )  # fmt: skip
    rows = []
    for device in _devices(cfg):
        s, lab = sums.get(device.pk, {}), device_labels(device, cfg.privacy)
        cost = s.get("money")
        rows.append((lab["device_name"], lab["device_ip"], device.device_type, device.status,
                     counts.get(device.pk, 0), rnd(s.get("energy") or 0.0),
                     None if cost is None else rnd(float(cost)), rnd(s.get("peak") or 0.0)))  # fmt: skip
    columns = [Column("device_name", "Device"), Column("device_ip", "IP"), Column("device_type", "Type"),
               Column("status", "Status"), Column("readings", "Readings", "int"),
               Column("energy_kwh", "Energy", "float", "kWh"), Column("cost", "Cost", "float", "currency"),
               Column("peak_power_w", "Peak power", "float", "W")]  # fmt: skip
    chart = Chart("bar", "Energy by device (kWh)", "device_name", ["energy_kwh"])
    return Table("device_summary", "Device summary", columns, rows, chart)


def _energy(cfg: ExportConfig) -> Table:
    rnd = rounder(cfg.decimal_places if cfg.decimal_places is not None else 3)
    energy, cost = defaultdict(float), {}
    for hour, kwh, price in (
        _hourly(cfg).values_list("hour", "energy_kwh", "cost").iterator(chunk_size=cfg.chunk_size)
    ):
        day = hour.astimezone(cfg.tz).date().isoformat()
        energy[day] += kwh
        if price is not None:
            cost[day] = cost.get(day, 0.0) + float(price)
    rows = [
        (day, rnd(energy[day]), rnd(cost[day]) if day in cost else None) for day in sorted(energy)
    ]
    columns = [Column("date", "Date"), Column("energy_kwh", "Energy", "float", "kWh"),
               Column("cost", "Cost", "float", "currency")]  # fmt: skip
    chart = Chart("line", "Daily energy (kWh)", "date", ["energy_kwh"])
    return Table("energy_consumption", "Energy consumption", columns, rows, chart)


def _cost_breakdown(cfg: ExportConfig) -> Table:
    rnd = rounder(cfg.decimal_places if cfg.decimal_places is not None else 2)
    names = {d.pk: device_labels(d, cfg.privacy)["device_name"] for d in _devices(cfg)}
    sums = (
        _hourly(cfg)
        .exclude(cost=None)
        .values("device_id")
        .annotate(money=Sum("cost"), energy=Sum("energy_kwh"))
    )
    total = sum(float(r["money"]) for r in sums) or None
    rows = [(names.get(r["device_id"], str(r["device_id"])), rnd(r["energy"]), rnd(float(r["money"])),
             round(float(r["money"]) / total * 100, 1) if total else None)
            for r in sorted(sums, key=lambda r: -r["money"])]  # fmt: skip
    columns = [Column("device_name", "Device"), Column("energy_kwh", "Energy", "float", "kWh"),
               Column("cost", "Cost", "float", "currency"),
               Column("cost_share_pct", "Share", "float", "%")]  # fmt: skip
    return Table("cost_breakdown", "Cost breakdown", columns, rows,
                 Chart("pie", "Cost by device", "device_name", ["cost"]))  # fmt: skip


def _health(cfg: ExportConfig) -> Table:
    devices = _devices(cfg)
    status = dict(devices.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    outages = outages_before(devices=devices, end=cfg.end).filter(
        Q(ended_at=None) | Q(ended_at__gte=cfg.start)
    )
    downtime = timedelta()
    for started, ended in outages.values_list("started_at", "ended_at"):
        downtime += min(ended or timezone.now(), cfg.end) - max(started, cfg.start)
    readings = readings_in(start=cfg.start, end=cfg.end).filter(device__in=devices)
    rows = [("Devices", devices.count()), ("Online", status.get("online", 0)),
            ("Offline", status.get("offline", 0)), ("Unknown", status.get("unknown", 0)),
            ("Outages in period", outages.count()),
            ("Downtime (hours)", round(downtime.total_seconds() / 3600, 2)),
            ("Readings in period", readings.count()),
            ("Last poll", _iso(devices.aggregate(m=Max("last_polled_at"))["m"]))]  # fmt: skip
    columns = [Column("metric", "Metric"), Column("value", "Value")]
    return Table("system_health", "System health", columns, rows,
                 Chart("bar", "Devices by status", "metric", ["value"]))  # fmt: skip


def _iso(moment) -> str:
    return moment.isoformat() if moment else "never"


def _usage_patterns(cfg: ExportConfig) -> Table:
    power, samples, energy = defaultdict(float), defaultdict(int), defaultdict(float)
    for hour, psum, n, kwh in (
        _hourly(cfg)
        .values_list("hour", "power_sum_w", "samples", "energy_kwh")
        .iterator(chunk_size=cfg.chunk_size)
    ):
        h = hour.astimezone(cfg.tz).hour
        power[h] += psum
        samples[h] += n
        energy[h] += kwh
    rows = [(f"{h:02d}:00", round(power[h] / samples[h], 2) if samples[h] else 0.0, round(energy[h], 3))
            for h in range(24)]  # fmt: skip
    columns = [Column("hour", "Hour of day"), Column("average_power_w", "Average power", "float", "W"),
               Column("energy_kwh", "Energy", "float", "kWh")]  # fmt: skip
    return Table("usage_patterns", "Usage patterns", columns, rows,
                 Chart("bar", "Average power by hour of day (W)", "hour", ["average_power_w"]))  # fmt: skip
