"""GET /api/costs from stored hourly costs, and the what-if comparison of plans.

The report sums stored costs in SQL (per device, per hour), so a year costs two grouped
queries; only the once-per-period charges are worked out by the engine. The comparison
re-prices the household's hourly energy under each plan, so its range is bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Sum
from django.utils import timezone

from billing import rollups
from billing.costs.report import costs_to_api
from billing.decimals import ZERO, to_decimal
from billing.engine import Interval, compare, data_window, fixed_charges, local_range
from billing.engine.results import CostResult, DayCost, DeviceCost
from billing.errors import InvalidDateRange
from billing.models import DailyCost, DailyPeak
from billing.periods import MICROSECOND, PlanVersion, Versions, version_periods
from billing.selectors import SavedPlan, plan_history, plan_in_force, plan_versions
from devices.selectors import device_list

HOUR = timedelta(hours=1)
HOUSEHOLD = "household"
MAX_REPORT_DAYS = 3660
MAX_COMPARE_DAYS = 92


def this_month_so_far() -> tuple[date, date]:
    """Return the first day of this month and today, on the clock of the plan in force."""
    today = timezone.now().astimezone(ZoneInfo(plan_in_force().plan["timezone"])).date()
    return today.replace(day=1), today


def costs_report(first_day: date, last_day: date) -> dict:
    """Return the spec's /api/costs body for local days first_day to last_day, both included."""
    _check_range(first_day, last_day, MAX_REPORT_DAYS)
    history = plan_history()
    versions = plan_versions(history)
    start, end = local_range(plan_in_force(history=history).plan, first_day, last_day)
    stored = DailyCost.objects.filter(day__gte=first_day, day__lte=last_day)
    local = Versions(versions)
    days = _day_costs(stored, first_day, last_day)
    periods = fixed_charges(_demand_data(versions, start, end), versions, start, end)
    for period in periods:  # billed on the day the period starts
        day = local.local(period.start).date()
        days.setdefault(day, DayCost(day)).fixed += period.total
    devices = _device_costs(stored)
    result = CostResult(
        start=start,
        end=end,
        currency=plan_in_force(history=history).plan["currency"],
        intervals=[],
        devices=devices,
        days=sorted(days.values(), key=lambda d: d.date),
        periods=periods,
    )
    body = costs_to_api(result, devices=_device_info([d.device_id for d in devices]))
    return {"start_date": first_day.isoformat(), "end_date": last_day.isoformat(), **body}


def compare_plans(first_day: date, last_day: date, extra: Mapping[str, Any] | None = None) -> dict:
    """Price the household's hourly energy of the range under each saved plan (and extra)."""
    _check_range(first_day, last_day, MAX_COMPARE_DAYS)
    history = plan_history()
    current = plan_in_force(history=history)
    plans = {str(p.id or "default"): p for p in history}
    if extra is not None:
        plans["request"] = SavedPlan(None, current.effective_from, dict(extra))
    start, end = local_range(current.plan, first_day, last_day)
    windows = [data_window([(start, p.plan)], start, end) for p in plans.values()]
    hours = rollups.household_hours(min(w[0] for w in windows), max(w[1] for w in windows))
    intervals = [Interval(HOUSEHOLD, h, h + HOUR, to_decimal(max(kwh, 0.0))) for h, kwh in hours]
    results = compare(intervals, {key: p.plan for key, p in plans.items()}, start, end)
    current_key = str(current.id or "default")
    rows = [_compare_row(key, plans[key], costs_to_api(r), key == current_key)
            for key, r in results.items()]  # fmt: skip
    baseline = next((r["total_cost"] for r in rows if r["is_current"]), None)
    for row in rows:
        row["difference"] = row["total_cost"] - baseline if baseline is not None else None
    rows.sort(key=lambda r: (r["total_cost"], r["plan_id"]))
    return {
        "start_date": first_day.isoformat(),
        "end_date": last_day.isoformat(),
        "total_kwh": rows[0]["total_kwh"] if rows else ZERO,
        "plans": rows,
        "cheapest": rows[0]["plan_id"] if rows else None,
    }


def _check_range(first_day: date, last_day: date, most: int) -> None:
    if first_day > last_day:
        raise InvalidDateRange("start_date must not be after end_date.", field="start_date")
    if (last_day - first_day).days + 1 > most:
        raise InvalidDateRange(f"The range may span at most {most} days.", field="end_date")


def _device_costs(stored) -> list[DeviceCost]:
    rows = stored.values("device").annotate(kwh=Sum("kwh"), cost=Sum("cost")).order_by("device")
    return [
        DeviceCost(r["device"], kwh=to_decimal(r["kwh"] or 0.0), energy=r["cost"] or ZERO)
        for r in rows
    ]


def _day_costs(stored, first_day: date, last_day: date) -> dict[date, DayCost]:
    """Every local day of the range, with or without energy."""
    days = {
        date.fromordinal(n): DayCost(date.fromordinal(n))
        for n in range(first_day.toordinal(), last_day.toordinal() + 1)
    }
    rows = stored.values("day").annotate(kwh=Sum("kwh"), cost=Sum("cost")).order_by("day")
    for day, kwh, cost in rows.values_list("day", "kwh", "cost"):
        days[day].kwh += to_decimal(kwh or 0.0)
        days[day].energy += cost or ZERO
    return days


def _demand_data(versions: list[PlanVersion], start: datetime, end: datetime) -> list[Interval]:
    """The household's busiest stored hours of each billing period, if a plan bills demand.

    The peak of hourly data is the busiest hour's kWh, so the engine needs only the hours
    that share the period's highest kWh (it reports the earliest).
    """
    if not any(plan["demand_charge_per_kw"] for _, plan in versions):
        return []
    local = Versions(versions)
    busiest = []
    for low, high in version_periods(start, end, local):
        days = (local.local(low).date(), local.local(high - MICROSECOND).date())
        peaks = list(DailyPeak.objects.filter(day__range=days).values_list("hour", "kwh"))
        top = max((kwh for _, kwh in peaks), default=None)
        busiest += [Interval(HOUSEHOLD, h, h + HOUR, kwh) for h, kwh in peaks if kwh == top]
    return busiest


def _device_info(ids: list[int]) -> dict[int, dict]:
    devices = device_list().filter(pk__in=ids).only("host", "alias", "model", "device_id", "mac")
    return {d.pk: {"device_ip": d.host, "device_name": d.name, "mac": d.mac} for d in devices}


def _compare_row(key: str, saved: SavedPlan, body: dict, is_current: bool) -> dict:
    return {
        "plan_id": key,
        "name": saved.plan["name"] or ("Plan in the request" if key == "request" else saved.name),
        "rate_type": saved.plan["rate_type"],
        "currency": body["currency"],
        "is_current": is_current,
        "total_cost": body["total_cost"],
        "energy_cost": body["energy_cost"],
        "fixed_charges": body["fixed_charges"],
        "total_kwh": body["total_kwh"],
        "average_daily_cost": body["average_daily_cost"],
    }
