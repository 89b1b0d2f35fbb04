"""insights: the insights app's answers (standby, this bill, what changed, appliance runs) as
export sections.

Every figure is the insights API's, as it shows it (insights.selectors), so an export says
what /api/insights/* says at the moment the file is made. Standby and the bill projection
are as of that moment; what changed covers the export's date range (against the range of
the same length before it and the same range a year earlier).

To add an insight, write a function from an InsightsContext to its tables and append it
to SECTIONS: every format (CSV's `section` column, JSON's `sections`, one sheet per table
in Excel, one heading per table in the PDF) picks it up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from billing import selectors as billing_selectors
from insights import selectors

from .request import ExportConfig
from .tables import Chart, Column, Document, Table, anonymize_ip

HOUSEHOLD = "Household"
COMPARISONS = {"previous": "Previous period", "year_ago": "A year ago"}


@dataclass
class InsightsContext:
    cfg: ExportConfig
    now: datetime

    def ip(self, ip: str | None) -> str | None:
        """A device's address after the export's privacy options."""
        if ip is None or "remove_location_data" in self.cfg.privacy:
            return None
        return anonymize_ip(ip) if "anonymize_ip_addresses" in self.cfg.privacy else ip


def _standby(ctx: InsightsContext) -> list[Table]:
    body = selectors.standby_report(now=ctx.now)
    home = body["household"]
    rows = [(d["device_name"], ctx.ip(d["device_ip"]), d["standby_w"], d["night_hours"],
             d["yearly_kwh"], d["yearly_cost"], d["yearly_co2_kg"]) for d in body["devices"]]  # fmt: skip
    rows.append((HOUSEHOLD, None, home["standby_w"], None, home["yearly_kwh"], home["yearly_cost"],
                 home["yearly_co2_kg"]))  # fmt: skip
    columns = [Column("device_name", "Device"), Column("device_ip", "Device IP"),
               Column("standby_w", "Always on", "float", "W"),
               Column("night_hours", "Night hours measured", "int"),
               Column("yearly_kwh", "A year", "float", "kWh"),
               Column("yearly_cost", "A year", "float", "currency"),
               Column("yearly_co2_kg", "A year", "float", "kg CO2")]  # fmt: skip
    chart = Chart("bar", "Always on: cost a year", "device_name", ["yearly_cost"])
    return [Table("standby", "Always on (standby)", columns, rows, chart)]


def _bill(ctx: InsightsContext) -> list[Table]:
    body = selectors.bill_projection(now=ctx.now)
    period, so_far, p = body["period"], body["so_far"], body["projected"]
    figures = [("So far", so_far["kwh"], so_far["energy_cost"], so_far["co2_kg"]),
               ("Projected energy", p["kwh"], p["energy_cost"], p["co2_kg"]),
               ("Fixed charges", None, p["fixed_charges"], None),
               ("Projected total", p["kwh"], p["total_cost"], p["co2_kg"]),
               ("Likely low", p["low"]["kwh"], p["low"]["total_cost"], None),
               ("Likely high", p["high"]["kwh"], p["high"]["total_cost"], None)]  # fmt: skip
    rows = [(period["first_day"], period["last_day"], *figure) for figure in figures]
    columns = [Column("first_day", "First day"), Column("last_day", "Last day"),
               Column("figure", "Figure"), Column("kwh", "Energy", "float", "kWh"),
               Column("cost", "Cost", "float", "currency"),
               Column("co2_kg", "CO2", "float", "kg")]  # fmt: skip
    checks = [(c["first_day"], c["last_day"], c["projected_at"], c["projected_kwh"],
               c["projected_cost"], c["low_cost"], c["high_cost"], c["actual_kwh"],
               c["actual_cost"], c["error_cost"], c["error_percent"]) for c in body["checks"]]  # fmt: skip
    check_columns = [Column("first_day", "First day"), Column("last_day", "Last day"),
                     Column("projected_at", "Projected at"),
                     Column("projected_kwh", "Projected", "float", "kWh"),
                     Column("projected_cost", "Projected", "float", "currency"),
                     Column("low_cost", "Low", "float", "currency"),
                     Column("high_cost", "High", "float", "currency"),
                     Column("actual_kwh", "Actual", "float", "kWh"),
                     Column("actual_cost", "Actual", "float", "currency"),
                     Column("error_cost", "Off by", "float", "currency"),
                     Column("error_percent", "Off by", "float", "%")]  # fmt: skip
    return [
        Table("bill_projection", "This bill (projection)", columns, rows,
              Chart("bar", "This bill", "figure", ["cost"])),
        Table("projection_checks", "Projection checks", check_columns, checks),
    ]  # fmt: skip


def _changes(ctx: InsightsContext) -> list[Table]:
    body = selectors.changes(start=ctx.cfg.start.isoformat(), end=ctx.cfg.end.isoformat(),
                             now=ctx.now)  # fmt: skip
    rows, movers = [], []
    for key, said in COMPARISONS.items():
        part = body[key]
        for d in [{"device_name": HOUSEHOLD, "device_ip": None, **part["household"]},
                  *part["devices"]]:  # fmt: skip
            rows.append((said, part["first_day"], part["last_day"], d["device_name"],
                         ctx.ip(d["device_ip"]), d["kwh"], d["earlier_kwh"], d["kwh_change"],
                         d["kwh_change_percent"], d["cost"], d["earlier_cost"], d["cost_change"],
                         d["cost_change_percent"], d["co2_kg"], d["earlier_co2_kg"],
                         d["co2_change_kg"], d["co2_change_percent"], d["new"]))  # fmt: skip
        for direction in ("up", "down"):
            movers += [(said, direction, m["device_name"], m["cost_change"],
                        m["cost_change_percent"], m["label"]) for m in part["movers"][direction]]  # fmt: skip
    columns = [Column("compared_with", "Compared with"),
               Column("earlier_first_day", "From"), Column("earlier_last_day", "To"),
               Column("device_name", "Device"), Column("device_ip", "Device IP"),
               Column("kwh", "Now", "float", "kWh"), Column("earlier_kwh", "Then", "float", "kWh"),
               Column("kwh_change", "Change", "float", "kWh"),
               Column("kwh_change_percent", "Change", "float", "%"),
               Column("cost", "Now", "float", "currency"),
               Column("earlier_cost", "Then", "float", "currency"),
               Column("cost_change", "Change", "float", "currency"),
               Column("cost_change_percent", "Change", "float", "%"),
               Column("co2_kg", "CO2 now", "float", "kg"),
               Column("earlier_co2_kg", "CO2 then", "float", "kg"),
               Column("co2_change_kg", "CO2 change", "float", "kg"),
               Column("co2_change_percent", "CO2 change", "float", "%"),
               Column("new", "New", "bool")]  # fmt: skip
    mover_columns = [Column("compared_with", "Compared with"), Column("direction", "Direction"),
                     Column("device_name", "Device"),
                     Column("cost_change", "Change", "float", "currency"),
                     Column("cost_change_percent", "Change", "float", "%"),
                     Column("label", "Mover")]  # fmt: skip
    return [Table("changes", "What changed", columns, rows),
            Table("movers", "Biggest movers", mover_columns, movers)]  # fmt: skip


def _runs(ctx: InsightsContext) -> list[Table]:
    body = selectors.appliance_runs_between(ctx.cfg.start, ctx.cfg.end, now=ctx.now)
    rows = [(r["device_name"], ctx.ip(r["device_ip"]), r["start"], r["end"],
             r["duration_minutes"], r["kwh"], r["cost"], r["co2_kg"]) for r in body["runs"]]  # fmt: skip
    columns = [Column("device_name", "Device"), Column("device_ip", "Device IP"),
               Column("start", "Start"), Column("end", "End"),
               Column("duration_minutes", "Duration", "float", "min"),
               Column("kwh", "Energy", "float", "kWh"), Column("cost", "Cost", "float", "currency"),
               Column("co2_kg", "CO2", "float", "kg")]  # fmt: skip
    return [Table("appliance_runs", "Appliance runs", columns, rows)]


# The insights export, in this order. Append a function to add an insight.
SECTIONS: list[Callable[[InsightsContext], list[Table]]] = [_standby, _bill, _changes, _runs]


def insights_document(cfg: ExportConfig) -> Document:
    """Return the insights export: every section's tables, figures as the insights API's."""
    ctx = InsightsContext(cfg, timezone.now())
    tables = [table for section in SECTIONS for table in section(ctx)]
    currency = billing_selectors.plan_in_force(ctx.now).plan["currency"]
    meta = {"as_of": ctx.now.isoformat(), "currency": currency}
    return Document("Insights", meta, tables, single=False, charts=cfg.include_charts)
