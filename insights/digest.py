"""The insights of the daily summary mail and of the monthly report mail, as parts: each
part's figures (the webhook payload's) come from insights.selectors, as the API shows
them, and its lines are the mail's text. monitoring/summary.py and monitoring/reports.py
send them.

To add an insight to a mail, write a Part (its key, a function from the Context to its
figures, a function from the figures to text lines) and append it to DAILY or MONTHLY.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from billing import selectors as billing_selectors
from insights import selectors
from insights.models import ProjectionCheck

ALWAYS_ON_SHOWN = 3
MICROSECOND = timedelta(microseconds=1)


@dataclass
class Context:
    now: datetime
    closed: ProjectionCheck | None = None  # the monthly report's period
    cache: dict = field(default_factory=dict)  # answers two parts share


@dataclass(frozen=True)
class Part:
    key: str
    figures: Callable[[Context], dict]
    lines: Callable[[dict], list[str]]


def money(value: float | None, currency: str) -> str:
    """ "5.40 USD", with the currency's own decimal places."""
    if value is None:
        return "-"
    return f"{value:,.{billing_selectors.money_places(currency)}f} {currency}"


def _kwh(value: float) -> str:
    return f"{value:,.1f} kWh"


def _co2(kg: float) -> str:
    """ "25.7 kg CO2": rounded half up from the figure as the API gives it (25.65)."""
    return f"{Decimal(str(kg)).quantize(Decimal('0.1'), ROUND_HALF_UP):,} kg CO2"


def _percent(value: float | None) -> str:
    return "new" if value is None else f"{value:+.0f} %"


# The daily summary ----------------------------------------------------------------------------


def _yesterday(ctx: Context) -> dict:
    zone = ZoneInfo(billing_selectors.billing_period(ctx.now).timezone)
    day = (ctx.now.astimezone(zone) - timedelta(days=1)).date().isoformat()
    body = selectors.changes(start=day, end=day, now=ctx.now)
    before = body["previous"]["household"]
    return {"date": day, "currency": body["currency"], **body["household"],
            "day_before_kwh": before["earlier_kwh"], "day_before_cost": before["earlier_cost"],
            "cost_change_percent": before["cost_change_percent"]}  # fmt: skip


def _yesterday_lines(f: dict) -> list[str]:
    change = ""
    if f["day_before_kwh"] or f["day_before_cost"]:
        change = f" ({_percent(f['cost_change_percent'])} on the day before)"
    return [
        f"Yesterday ({f['date']}): {_kwh(f['kwh'])}, {money(f['cost'], f['currency'])}, "
        f"{_co2(f['co2_kg'])}{change}"
    ]


def _bill(ctx: Context) -> dict:
    body = selectors.bill_projection(now=ctx.now)
    p = body["projected"]
    return {"currency": body["currency"], "first_day": body["period"]["first_day"],
            "last_day": body["period"]["last_day"], "so_far": body["so_far"],
            "projected": {"kwh": p["kwh"], "total_cost": p["total_cost"], "co2_kg": p["co2_kg"],
                          "low_cost": p["low"]["total_cost"], "high_cost": p["high"]["total_cost"]}}  # fmt: skip


def _bill_lines(f: dict) -> list[str]:
    cur, so_far, p = f["currency"], f["so_far"], f["projected"]
    low, high = money(p["low_cost"], cur).split()[0], money(p["high_cost"], cur).split()[0]
    return [
        f"This bill ({f['first_day']} to {f['last_day']}): {_kwh(so_far['kwh'])} / "
        f"{money(so_far['energy_cost'], cur)} / {_co2(so_far['co2_kg'])} so far, projected "
        f"{money(p['total_cost'], cur)} ({low}-{high}), {_co2(p['co2_kg'])}"
    ]


def _movers(ctx: Context) -> dict:
    previous = selectors.changes(now=ctx.now)["previous"]
    return {"compared_with": {"first_day": previous["first_day"], "last_day": previous["last_day"]},
            **previous["movers"]}  # fmt: skip


def _movers_lines(f: dict) -> list[str]:
    return _mover_lines("Since the last period", f)


def _mover_lines(said: str, movers: dict) -> list[str]:
    up = ", ".join(m["label"] for m in movers["up"])
    down = ", ".join(m["label"] for m in movers["down"])
    if not (up or down):
        return [f"{said}: no device's cost changed"]
    return [f"{said}: up {up or 'none'}; down {down or 'none'}"]


def _always_on(ctx: Context) -> dict:
    body = selectors.standby_report(now=ctx.now)
    return {"currency": body["currency"], "household": body["household"],
            "devices": body["devices"][:ALWAYS_ON_SHOWN]}  # fmt: skip


def _always_on_lines(f: dict) -> list[str]:
    if not f["devices"]:
        return ["Always on: not measured yet (needs a few nights of readings)"]
    cur, home = f["currency"], f["household"]
    devices = ", ".join(
        f"{d['device_name']} {d['standby_w']:.1f} W ({money(d['yearly_cost'], cur)}/yr)"
        for d in f["devices"]
    )
    return [f"Always on: {home['standby_w']:.1f} W, {money(home['yearly_cost'], cur)} and "
            f"{_co2(home['yearly_co2_kg'])} a year. Most: {devices}"]  # fmt: skip


def _appliances_between(start: datetime, end: datetime, now: datetime) -> dict:
    """Each device's runs that started in [start, end): how many, their kWh, cost and kg."""
    body = selectors.appliance_runs_by_device(start, end, now=now)
    return {"currency": body["currency"], "devices": body["devices"]}


def _yesterday_appliances(ctx: Context) -> dict:
    zone = ZoneInfo(billing_selectors.billing_period(ctx.now).timezone)
    today = ctx.now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)  # wall-clock arithmetic: 23 or 25 hours at a change
    return {"date": yesterday.date().isoformat(),
            **_appliances_between(yesterday, today, ctx.now)}  # fmt: skip


def _appliance_lines(said: str):
    def lines(f: dict) -> list[str]:
        if not f["devices"]:
            return []  # no appliance ran (or none is watched): nothing to say
        cur = f["currency"]
        runs = "; ".join(
            f"{d['device_name']} {d['runs']} run{'s' if d['runs'] != 1 else ''} "
            f"({_kwh(d['kwh'])}, {money(d['cost'], cur)}, {_co2(d['co2_kg'])})"
            for d in f["devices"]
        )
        return [f"{said}: {runs}"]

    return lines


DAILY: list[Part] = [
    Part("yesterday", _yesterday, _yesterday_lines),
    Part("this_bill", _bill, _bill_lines),
    Part("movers", _movers, _movers_lines),
    Part("always_on", _always_on, _always_on_lines),
    Part("appliances", _yesterday_appliances, _appliance_lines("Appliances yesterday")),
]


# The monthly report ---------------------------------------------------------------------------


def closed_period_check(now: datetime) -> ProjectionCheck | None:
    """The check of the billing period that closed last before `now`, if it was kept."""
    current = billing_selectors.billing_period(now)
    return period_check(billing_selectors.billing_period(current.start - MICROSECOND).start)


def period_check(period_start: datetime) -> ProjectionCheck | None:
    """The kept check of the billing period starting at `period_start`."""
    return ProjectionCheck.objects.filter(period_start=period_start).first()


def _closed(ctx: Context) -> dict:
    check = ctx.closed
    row = next(c for c in selectors.projection_checks() if c["first_day"] == str(check.first_day))
    household = _period_changes(ctx)["household"]
    energy = household["cost"]
    fixed = round(row["actual_cost"] - energy, billing_selectors.money_places(check.currency))
    return {"first_day": row["first_day"], "last_day": row["last_day"], "currency": check.currency,
            "kwh": row["actual_kwh"], "energy_cost": energy, "fixed_charges": fixed,
            "total_cost": row["actual_cost"], "co2_kg": household["co2_kg"],
            "projection_check": row}  # fmt: skip


def _closed_lines(f: dict) -> list[str]:
    cur, check = f["currency"], f["projection_check"]
    off = "" if check["error_percent"] is None else f" ({check['error_percent']:+.1f} %)"
    return [
        f"Used: {_kwh(f['kwh'])}; cost {money(f['total_cost'], cur)} "
        f"(energy {money(f['energy_cost'], cur)}, fixed charges {money(f['fixed_charges'], cur)}); "
        f"{_co2(f['co2_kg'])}",
        f"Projected at mid-period ({check['projected_at'][:10]}): "
        f"{money(check['projected_cost'], cur)} ({money(check['low_cost'], cur)} to "
        f"{money(check['high_cost'], cur)}); off by {money(check['error_cost'], cur)}{off}",
    ]


def _period_changes(ctx: Context) -> dict:
    """What changed over the whole closed period: the billing period as it stood at its
    last moment, against the previous billing period and the same period a year ago."""
    if "changes" not in ctx.cache:
        ctx.cache["changes"] = selectors.changes(now=ctx.closed.period_end - MICROSECOND)
    return ctx.cache["changes"]


def _changed(ctx: Context) -> dict:
    body = _period_changes(ctx)
    return {"currency": body["currency"],
            **{key: {"first_day": body[key]["first_day"], "last_day": body[key]["last_day"],
                     "household": body[key]["household"], "devices": body[key]["devices"],
                     "movers": body[key]["movers"]} for key in ("previous", "year_ago")}}  # fmt: skip


def _changed_lines(f: dict) -> list[str]:
    lines = []
    for key, said in (("previous", "Against the period before"), ("year_ago", "A year ago")):
        part, cur = f[key], f["currency"]
        home = part["household"]
        lines.append(
            f"{said} ({part['first_day']} to {part['last_day']}): {_kwh(home['earlier_kwh'])}, "
            f"{money(home['earlier_cost'], cur)}; energy cost {_percent(home['cost_change_percent'])}"
            if home["earlier_kwh"] or home["earlier_cost"]
            else f"{said} ({part['first_day']} to {part['last_day']}): no readings"
        )
        lines += _mover_lines("  Movers", part["movers"])
    return lines


def _period_appliances(ctx: Context) -> dict:
    check = ctx.closed
    return _appliances_between(check.period_start, check.period_end, ctx.now)


MONTHLY: list[Part] = [
    Part("period", _closed, _closed_lines),
    Part("changes", _changed, _changed_lines),
    Part("always_on", _always_on, _always_on_lines),
    Part("appliances", _period_appliances, _appliance_lines("Appliance runs")),
]


def compose(parts: list[Part], ctx: Context) -> tuple[dict, list[str]]:
    """({key: figures}, the text lines) of these parts."""
    figures, lines = {}, []
    for part in parts:
        figures[part.key] = part.figures(ctx)
        lines += part.lines(figures[part.key])
    return figures, lines
