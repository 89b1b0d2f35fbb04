"""cost_analysis: hourly rollups with billing's costs grouped by period and broken down by device / rate band.

Time-of-use and tier bands are derived from the priced data itself (an hour's effective rate =
its cost / its energy): hours billed at one rate form one band, so a peak/off-peak plan shows
its periods and a tiered plan its tiers without this app reading billing's internals.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from billing.selectors import rollups_priced
from devices.selectors import devices_by_alias, hourly_in

from .periods import bucketer
from .request import ExportConfig
from .tables import Chart, Column, Document, Table, device_labels, rounder

RATE_PLACES = 4


def _period_label(cfg: ExportConfig):
    to_bucket = bucketer(cfg.grouping, cfg.tz)
    fmt = {
        "hourly": "%Y-%m-%d %H:00",
        "daily": "%Y-%m-%d",
        "weekly": "%Y-%m-%d",
        "monthly": "%Y-%m",
    }
    return lambda moment: to_bucket(moment).strftime(fmt[cfg.grouping])


def _rollups(cfg: ExportConfig):
    qs = hourly_in(start=cfg.start, end=cfg.end)
    if cfg.device_ids:
        qs = qs.filter(device_id__in=cfg.device_ids)
    rows = rollups_priced(qs, with_co2=True).order_by("hour", "device_id")
    rows = rows.values_list("device_id", "hour", "energy_kwh", "cost", "co2_g")
    return rows.iterator(chunk_size=cfg.chunk_size)


class _Sums:
    """energy, cost and grams of CO2 keyed by (period, group); cost and CO2 None until a
    priced hour is seen."""

    def __init__(self):
        self.energy: dict = defaultdict(float)
        self.cost: dict = {}
        self.co2: dict = {}

    def add(self, key, energy: float, cost: Decimal | None, co2: float | None = None) -> None:
        self.energy[key] += energy
        if cost is not None:
            self.cost[key] = self.cost.get(key, Decimal(0)) + cost
            self.co2[key] = (self.co2.get(key) or 0.0) + (co2 or 0.0)
        else:
            self.cost.setdefault(key, None)
            self.co2.setdefault(key, None)

    def kg(self, key, rnd) -> float | None:
        grams = self.co2.get(key)
        return None if grams is None else rnd(grams / 1000)


def cost_document(cfg: ExportConfig) -> Document:
    """Return the cost analysis: a per-period summary and one table per breakdown."""
    label = _period_label(cfg)
    totals, by_device, by_rate = _Sums(), _Sums(), _Sums()
    hours: dict = defaultdict(set)
    for dev, hour, energy, cost, co2 in _rollups(cfg):
        period = label(hour)
        totals.add((period, ""), energy, cost, co2)
        by_device.add((period, dev), energy, cost, co2)
        rate = _rate(energy, cost)
        by_rate.add((period, rate), energy, cost)
        hours[rate].add(hour.astimezone(cfg.tz).hour)
    tables = [_summary(cfg, totals)]
    if "device" in cfg.breakdown_by:
        tables.append(_device_table(cfg, by_device, totals))
    if "time_of_use" in cfg.breakdown_by:
        tables.append(_rate_table(cfg, by_rate, totals, hours, tiers=False))
    if "rate_tier" in cfg.breakdown_by:
        tables.append(_rate_table(cfg, by_rate, totals, hours, tiers=True))
    meta = {"grouping": cfg.grouping, "breakdown_by": cfg.breakdown_by}
    return Document("Cost analysis", meta, tables, single=False, charts=cfg.include_charts)


def _rate(energy: float, cost: Decimal | None) -> Decimal | None:
    if cost is None or not energy:
        return None
    return round(cost / Decimal(repr(energy)), RATE_PLACES)


def _money(value: Decimal | None, rnd) -> float | None:
    return None if value is None else rnd(float(value))


def _share(part: Decimal | None, whole: Decimal | None) -> float | None:
    if part is None or not whole:
        return None
    return round(float(part / whole * 100), 1)


def _summary(cfg: ExportConfig, totals: _Sums) -> Table:
    rnd = rounder(cfg.decimal_places)
    rows = []
    for period, _ in sorted(totals.energy):
        energy, cost = totals.energy[(period, "")], totals.cost[(period, "")]
        avg = float(cost) / energy if cost is not None and energy else None
        rows.append(
            (
                period,
                rnd(energy),
                _money(cost, rnd),
                None if avg is None else round(avg, RATE_PLACES),
                totals.kg((period, ""), rnd),
            )
        )
    columns = [Column("period", "Period"), Column("energy_kwh", "Energy", "float", "kWh"),
               Column("cost", "Cost", "float", "currency"),
               Column("average_rate", "Average rate", "float", "per kWh"),
               Column("co2_kg", "CO2", "float", "kg")]  # fmt: skip
    chart = Chart("bar", "Cost per period", "period", ["cost"])
    return Table("summary", "Cost by period", columns, rows, chart)


def _device_table(cfg: ExportConfig, sums: _Sums, totals: _Sums) -> Table:
    rnd = rounder(cfg.decimal_places)
    labels = {d.pk: device_labels(d, cfg.privacy) for d in devices_by_alias()}
    rows = []
    for period, dev in sorted(sums.energy, key=lambda k: (k[0], labels[k[1]]["device_name"])):
        cost = sums.cost[(period, dev)]
        lab = labels[dev]
        rows.append((period, lab["device_ip"], lab["device_name"], rnd(sums.energy[(period, dev)]),
                     _money(cost, rnd), _share(cost, totals.cost[(period, "")]),
                     sums.kg((period, dev), rnd)))  # fmt: skip
    columns = [Column("period", "Period"), Column("device_ip", "Device IP"),
               Column("device_name", "Device"), Column("energy_kwh", "Energy", "float", "kWh"),
               Column("cost", "Cost", "float", "currency"),
               Column("cost_share_pct", "Share of cost", "float", "%"),
               Column("co2_kg", "CO2", "float", "kg")]  # fmt: skip
    chart = Chart("pie", "Cost by device", "device_name", ["cost"])
    return Table("by_device", "Cost by device", columns, rows, chart)


def _rate_table(cfg, sums: _Sums, totals: _Sums, hours: dict, *, tiers: bool) -> Table:
    rnd = rounder(cfg.decimal_places)
    rates = sorted({r for _, r in sums.energy if r is not None})
    names = {r: (f"Tier {i}" if tiers else f"Band {i}") for i, r in enumerate(rates, 1)}
    rows = []
    for period, rate in sorted(sums.energy, key=lambda k: (k[0], k[1] is None, k[1] or 0)):
        cost = sums.cost[(period, rate)]
        band = names.get(rate, "Unpriced")
        rows.append((period, band, None if rate is None else float(rate), _clock_hours(hours[rate]),
                     rnd(sums.energy[(period, rate)]), _money(cost, rnd),
                     _share(cost, totals.cost[(period, "")])))  # fmt: skip
    key = "rate_tier" if tiers else "time_of_use"
    columns = [Column("period", "Period"), Column(key, "Tier" if tiers else "Band"),
               Column("rate", "Rate", "float", "per kWh"), Column("local_hours", "Hours"),
               Column("energy_kwh", "Energy", "float", "kWh"),
               Column("cost", "Cost", "float", "currency"),
               Column("cost_share_pct", "Share of cost", "float", "%")]  # fmt: skip
    title = "Cost by rate tier" if tiers else "Cost by time of use"
    return Table(f"by_{key}", title, columns, rows, Chart("bar", title, key, ["cost"]))


def _clock_hours(hours: set[int]) -> str:
    """Compress local hours into ranges: {7,8,9,21} -> '07:00-10:00, 21:00-22:00'."""
    spans, start, prev = [], None, None
    for h in sorted(hours):
        if start is None or h != prev + 1:
            if start is not None:
                spans.append((start, prev + 1))
            start = h
        prev = h
    if start is not None:
        spans.append((start, prev + 1))
    return ", ".join(f"{a:02d}:00-{b:02d}:00" for a, b in spans)
