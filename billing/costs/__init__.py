"""GET /api/costs from stored hourly costs, and the what-if comparison of plans.

The report sums stored costs in SQL (per device, per hour), so a year costs two grouped
queries; only the once-per-period charges are worked out by the engine. The comparison
re-prices the household's hourly energy under each plan, so its range is bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Sum
from django.utils import timezone

from billing import rollups
from billing.costs.report import costs_to_api
from billing.decimals import ZERO, exact, present, present_parts, to_decimal
from billing.engine import Interval, compare, data_window, fixed_charges
from billing.engine.results import CostResult, DayCost, DeviceCost
from billing.models import DailyCost, DailyPeak, HourlyCost
from billing.periods import MICROSECOND, PlanVersion, Versions, version_periods
from billing.selectors import SavedPlan, plan_history, plan_in_force, plan_versions
from billing.spans import Span, check_days, span_of, split
from devices.selectors import device_list
from kasamonitor.ranges import Bound, parse_bound
from kasamonitor.timestamps import iso_utc

HOUR = timedelta(hours=1)
HOUSEHOLD = "household"
MAX_REPORT_DAYS = 3660
MAX_COMPARE_DAYS = 92


def this_month_so_far() -> tuple[date, date]:
    """Return the first day of this month and today, on the clock of the plan in force."""
    today = timezone.now().astimezone(plan_zone()).date()
    return today.replace(day=1), today


def plan_zone() -> ZoneInfo:
    """The clock of cost reports: the time zone of the plan in force."""
    return ZoneInfo(plan_in_force().plan["timezone"])


def report_span(start: Bound | None, end: Bound | None) -> Span:
    """What a report of these bounds covers; either one missing: this month so far."""
    if start is None or end is None:
        zone, (first, today) = plan_zone(), this_month_so_far()
        start = start or parse_bound(first.isoformat(), field="start_date", zone=zone)
        end = end or parse_bound(today.isoformat(), field="end_date", end=True, zone=zone)
    return span_of(start, end, Versions(plan_versions()))


def span_from_params(params: Mapping) -> Span:
    """start_date and end_date of a request, each a date or a date-time (docs/api.md "Date
    ranges"); either one missing: this month so far."""
    zone = plan_zone()
    start = parse_bound(params.get("start_date"), field="start_date", zone=zone)
    end = parse_bound(params.get("end_date"), field="end_date", end=True, zone=zone)
    return report_span(start, end)


def costs_report(span: Span) -> dict:
    """Return the spec's /api/costs body for the span (whole local days, or exact hours)."""
    check_days(span, MAX_REPORT_DAYS)
    history = plan_history()
    versions = plan_versions(history)
    local = Versions(versions)
    days, devices, grams = _stored_sums(span, local)
    periods = fixed_charges(
        _demand_data(versions, span.start, span.end), versions, span.start, span.end
    )
    for period in periods:  # billed on the day the period starts
        day = local.local(period.start).date()
        days.setdefault(day, DayCost(day)).fixed += period.total
    result = CostResult(
        start=span.start,
        end=span.end,
        currency=plan_in_force(history=history).plan["currency"],
        intervals=[],
        devices=devices,
        days=sorted(days.values(), key=lambda d: d.date),
        periods=periods,
    )
    body = costs_to_api(result, devices=_device_info([d.device_id for d in devices]))
    return {**_span_fields(span), **with_co2(body, grams)}


def compare_plans(span: Span, extra: Mapping[str, Any] | None = None) -> dict:
    """Price the household's hourly energy of the span under each saved plan (and extra)."""
    check_days(span, MAX_COMPARE_DAYS)
    history = plan_history()
    current = plan_in_force(history=history)
    plans = {str(p.id or "default"): p for p in history}
    if extra is not None:
        plans["request"] = SavedPlan(None, current.effective_from, dict(extra))
    start, end = span.start, span.end
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
        **_span_fields(span),
        "total_kwh": rows[0]["total_kwh"] if rows else ZERO,
        "plans": rows,
        "cheapest": rows[0]["plan_id"] if rows else None,
    }


def _span_fields(span: Span) -> dict:
    return {
        "start_date": span.first_day.isoformat(),
        "end_date": span.last_day.isoformat(),
        "start": iso_utc(span.start),
        "end": iso_utc(span.end),
    }


def _stored_sums(
    span: Span, local: Versions
) -> tuple[dict[date, DayCost], list[DeviceCost], Grams]:
    """Every local day of the span (with or without energy), each device's total, and the
    grams of CO2 of each (beside the cost, from the same rows).

    Whole days come from the daily sums in two grouped queries; the hours of a date-time
    range outside whole days (at most two partial days) from the hourly costs.
    """
    days = {
        date.fromordinal(n): DayCost(date.fromordinal(n))
        for n in range(span.first_day.toordinal(), span.last_day.toordinal() + 1)
    }
    per_device: dict[int, list] = defaultdict(lambda: [0.0, ZERO])
    grams = Grams(defaultdict(float), defaultdict(float))
    whole, edges = split(span, local)
    if whole is not None:
        stored = DailyCost.objects.filter(day__gte=whole[0], day__lte=whole[1])
        sums = {"kwh": Sum("kwh"), "cost": Sum("cost"), "co2": Sum("co2_g")}
        rows = stored.values("day").annotate(**sums).order_by("day")
        for day, kwh, cost, co2 in rows.values_list("day", "kwh", "cost", "co2"):
            days[day].kwh += to_decimal(kwh or 0.0)
            days[day].energy += cost or ZERO
            grams.days[day] += co2 or 0.0
        rows = stored.values("device").annotate(**sums).order_by("device")
        for device, kwh, cost, co2 in rows.values_list("device", "kwh", "cost", "co2"):
            per_device[device][0] += kwh or 0.0
            per_device[device][1] += cost or ZERO
            grams.devices[device] += co2 or 0.0
    for low, high in edges:
        hours = HourlyCost.objects.filter(hour__gte=low, hour__lt=high)
        rows = hours.values_list("device_id", "hour", "kwh", "cost", "co2_g")
        for device, hour, kwh, cost, co2 in rows:
            day = days[local.local(hour).date()]
            day.kwh += to_decimal(kwh)
            day.energy += cost
            grams.days[day.date] += co2
            per_device[device][0] += kwh
            per_device[device][1] += cost
            grams.devices[device] += co2
    devices = [
        DeviceCost(pk, kwh=to_decimal(kwh), energy=cost)
        for pk, (kwh, cost) in sorted(per_device.items())
    ]
    return days, devices, grams


class Grams(NamedTuple):
    """Stored grams of CO2 per local day and per device (the engine prices money only)."""

    days: dict[date, float]
    devices: dict[int, float]


@exact
def with_co2(body: dict, grams: Grams) -> dict:
    """Add co2_kg to the report, its days and its devices (3 places; rounded like money, by
    the largest remainder, so the days and the devices each add up to the total)."""
    kg = {key: to_decimal(g) / 1000 for key, g in grams.devices.items()}
    rows = body["devices"]
    for row, value in zip(
        rows, present_parts([kg.get(r["device_id"], ZERO) for r in rows], 3), strict=True
    ):
        row["co2_kg"] = value
    days = body["daily_breakdown"]
    day_kg = [to_decimal(grams.days.get(date.fromisoformat(d["date"]), 0.0)) / 1000 for d in days]
    for row, value in zip(days, present_parts(day_kg, 3), strict=True):
        row["co2_kg"] = value
    body["co2_kg"] = present(sum(kg.values(), ZERO), 3)
    return body


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
