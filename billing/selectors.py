"""Reads of the billing app: plans in force, stored costs, and the /api/costs report.

Billing is the only owner of money: every other app reads costs here. hourly_costs() and
cost_between() sum the stored costs (HourlyCost); rollups_priced() and daily_costs() put
them beside the devices app's hourly and daily rollups (the history, statistics, dashboard,
budgets and exports), joined in SQL per range.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    CharField,
    DecimalField,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from billing import carbon, forecast
from billing.decimals import ZERO, to_decimal
from billing.engine.tou import PriceChanges
from billing.models import DailyCost, GridIntensity, HourlyCost, RatePlan
from billing.periods import MICROSECOND, PlanVersion, Versions, version_periods
from billing.plans import (
    currency_places,
    normalise_plan,
    plan_to_api,  # noqa: F401 (public: a plan in the API's shape)
)
from billing.rollups import pending_device_hours
from kasamonitor.ranges import household_zone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Prices energy until the first plan is saved (the spec's example; shown with is_default).
DEFAULT_PLAN = {
    "rate_type": "simple",
    "currency": "USD",
    "rate_structure": {"rate_per_kwh": "0.12"},
    "name": "Default (no plan saved yet)",
}


@dataclass(frozen=True)
class SavedPlan:
    id: int | None  # None: the default plan
    effective_from: datetime
    plan: dict  # normalised (billing.plans.normalise_plan)

    @property
    def name(self) -> str:
        return self.plan["name"] or (f"Plan {self.id}" if self.id else "Default")


def load_plan(data) -> dict:
    """Return a plan as the engine reads it (raises PlanError when it is not valid)."""
    return normalise_plan(data, default_timezone=settings.TIME_ZONE)


def saved_plans() -> list[SavedPlan]:
    """Return every saved plan version, oldest first."""
    rows = RatePlan.objects.order_by("effective_from").values_list("id", "effective_from", "plan")
    return [SavedPlan(pk, start, load_plan(plan)) for pk, start, plan in rows]


def plan_history() -> list[SavedPlan]:
    """Return the saved plan versions, or the default plan when none is saved."""
    return saved_plans() or [SavedPlan(None, EPOCH, load_plan(DEFAULT_PLAN))]


def plans_stamp() -> str:
    """A stamp that changes whenever a plan is saved, edited, scheduled or deleted: a cache
    key part for answers worked out with the plans (insights)."""
    rows = RatePlan.objects.order_by("pk").values_list("pk", "effective_from", "plan")
    text = json.dumps([[pk, start.isoformat(), plan] for pk, start, plan in rows], sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def plan_versions(history: Sequence[SavedPlan] | None = None) -> list[PlanVersion]:
    """Return [(effective_from, plan)] for billing.engine.price()."""
    return [(p.effective_from, p.plan) for p in (history or plan_history())]


def plan_in_force(at: datetime | None = None, history: Sequence[SavedPlan] | None = None):
    """Return the SavedPlan pricing energy at `at` (now by default)."""
    at = at or timezone.now()
    history = list(history or plan_history())
    current = [p for p in history if p.effective_from <= at]
    return current[-1] if current else history[0]


@dataclass(frozen=True)
class GridSetting:
    """The grid's carbon intensity in force (the default until an admin saved one)."""

    intensity: carbon.Intensity
    is_default: bool
    updated_at: datetime | None = None


def grid_intensity() -> GridSetting:
    """Return the grid's carbon intensity setting, applied to every stored hour."""
    row = GridIntensity.objects.order_by("pk").first()
    if row is None:
        return GridSetting(carbon.normalise({}), is_default=True)
    data = {"default_g_per_kwh": row.default_g_per_kwh, "overrides": row.overrides}
    return GridSetting(carbon.normalise(data), is_default=False, updated_at=row.updated_at)


def steady_power_co2_g(watts: float, start: datetime, end: datetime) -> float:
    """Grams of CO2 of `watts` drawn without a break over the whole hours of [start, end),
    each hour at the intensity of its local month and hour (the standby's yearly figure)."""
    cells = carbon.hours_per_cell(start, end, household_zone())
    table = grid_intensity().intensity.table
    return watts / 1000 * sum(n * table[month - 1][hour] for (month, hour), n in cells.items())


def co2_of_hours(hours: Iterable[tuple[datetime, float]]) -> float:
    """Grams of CO2 of energy not stored (a forecast): each (moment, kWh) at the intensity
    of the local hour the moment falls in."""
    intensity, zone = grid_intensity().intensity, household_zone()
    return sum(max(kwh, 0.0) * intensity.at(at, zone) for at, kwh in hours)


def co2_of_profiles(
    profiles: Sequence[tuple[datetime, Sequence[float]]], step: timedelta
) -> list[float]:
    """Grams of CO2 of each (start, kWh per step) profile (appliance runs), each step at the
    intensity of the local hour it starts in. One read of the setting; the steps are summed
    a quarter hour at a time (every zone's offset is a multiple of 15 minutes, so a quarter
    hour lies in one local hour) and each quarter's intensity looked up once."""
    intensity, zone = grid_intensity().intensity, household_zone()
    quarter = timedelta(minutes=15)
    looked: dict[datetime, float] = {}
    out = []
    for start, profile in profiles:
        grams, n = 0.0, 0
        slot = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
        while n < len(profile):
            # the steps that start before the next quarter hour
            upto = max(n + 1, math.ceil((slot + quarter - start) / step))
            if slot not in looked:
                looked[slot] = intensity.at(slot, zone)
            grams += sum(max(kwh, 0.0) for kwh in profile[n:upto]) * looked[slot]
            n, slot = upto, slot + quarter
        out.append(grams)
    return out


def co2_between(device_ids: Iterable[int], start: datetime, end: datetime) -> float:
    """Return the stored grams of CO2 of these devices' energy for hours in [start, end)."""
    total = HourlyCost.objects.filter(
        device_id__in=list(device_ids), hour__gte=start, hour__lt=end
    ).aggregate(co2=Sum("co2_g"))["co2"]
    return total or 0.0


def hourly_costs(
    device_id: int | Iterable[int], start: datetime, end: datetime
) -> dict[datetime, Decimal]:
    """Return {UTC hour: cost} of the device (or the sum of these devices) in [start, end)."""
    ids = [device_id] if isinstance(device_id, int) else list(device_id)
    rows = HourlyCost.objects.filter(device_id__in=ids, hour__gte=start, hour__lt=end)
    costs: dict[datetime, Decimal] = defaultdict(Decimal)
    for hour, cost in rows.values_list("hour", "cost"):
        costs[hour] += cost
    return dict(sorted(costs.items()))


def cost_between(device_ids: Iterable[int], start: datetime, end: datetime) -> Decimal:
    """Return the stored energy cost (with its tax) of these devices for hours in [start, end)."""
    total = HourlyCost.objects.filter(
        device_id__in=list(device_ids), hour__gte=start, hour__lt=end
    ).aggregate(cost=Sum("cost"))["cost"]
    return total or ZERO


# HourlyCost.cost's type, for the annotation rollups_priced() adds.
COST_FIELD = DecimalField(max_digits=24, decimal_places=12)


def rollups_priced(rollups: QuerySet, *, with_co2: bool = False) -> QuerySet:
    """Annotate the devices app's hourly rollups (a queryset) with `cost`: billing's stored
    cost of that device-hour, or None while the hour is unpriced or its energy changed since
    it was priced (HourlyCost.kwh is the energy priced; billing.rollups.pending_hours()).

    One correlated lookup per row on HourlyCost's (device, hour) key, inside the rollups'
    own query: callers filter, order, stream and aggregate it as before. with_co2: also
    `co2_g`, the hour's stored grams of CO2 (None as cost is), by a second lookup.
    """
    priced = HourlyCost.objects.filter(
        device_id=OuterRef("device_id"), hour=OuterRef("hour"), kwh=OuterRef("energy_kwh")
    ).order_by()  # no ordering: one row by the unique (device, hour) key
    rollups = rollups.annotate(cost=Subquery(priced.values("cost")[:1], output_field=COST_FIELD))
    if with_co2:
        rollups = rollups.annotate(
            co2_g=Subquery(priced.values("co2_g")[:1], output_field=FloatField())
        )
    return rollups


def daily_costs(
    device_ids: Iterable[int] | None, first: date, last: date, field: str = "cost"
) -> dict[tuple[int, date], Decimal]:
    """Return {(device pk, local day): stored cost} for the days first..last (inclusive) on
    settings.TIME_ZONE's clock, the devices app's daily rollups' clock; a device-day
    without a priced hour, or with an hour not yet priced for its present energy, is
    absent (shown as no cost). device_ids None: every device.

    One grouped query: the daily sums (DailyCost) when every plan's clock is that zone (as
    by default), else the hourly costs summed per local day in SQL; and one for the
    pending hours among the rollups written since billing last looked (few rows).
    field "co2_g": the stored grams of CO2 instead (daily_co2).
    """
    zone = settings.TIME_ZONE
    tz = ZoneInfo(zone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(date.fromordinal(last.toordinal() + 1), datetime.min.time(), tzinfo=tz)
    ids = None if device_ids is None else list(device_ids)
    if all(plan["timezone"] == zone for _, plan in plan_versions()):
        rows = DailyCost.objects.filter(day__gte=first, day__lte=last).order_by()
        rows = rows if ids is None else rows.filter(device_id__in=ids)
        costs = {(pk, day): cost for pk, day, cost in rows.values_list("device_id", "day", field)}
    else:
        rows = HourlyCost.objects.filter(hour__gte=start, hour__lt=end).order_by()
        rows = rows if ids is None else rows.filter(device_id__in=ids)
        rows = (
            rows.annotate(day=TruncDate("hour", tzinfo=tz))
            .values("device_id", "day")
            .annotate(total=Sum(field))
            .values_list("device_id", "day", "total")
        )
        costs = {(pk, day): cost for pk, day, cost in rows}
    for pk, hour in pending_device_hours(ids, start, end):  # a day with one shows no cost
        costs.pop((pk, hour.astimezone(tz).date()), None)
    return costs


def daily_co2(
    device_ids: Iterable[int] | None, first: date, last: date
) -> dict[tuple[int, date], float]:
    """{(device pk, local day): stored grams of CO2}, as daily_costs() (the same days left out)."""
    return daily_costs(device_ids, first, last, field="co2_g")


def device_hour_costs(device_id: int, start: datetime, end: datetime) -> dict:
    """{hour as the database writes it as text: (kWh priced, cost as float, g CO2)} of one device's
    stored costs for hours in [start, end). One range query on the (device, hour) key; the
    device history's one-device hourly points look their hours up in it (on PostgreSQL a
    lookup per row inside the rollups' query cost 8 us a row: 60 ms for a year)."""
    rows = HourlyCost.objects.filter(device_id=device_id, hour__gte=start, hour__lt=end)
    rows = rows.order_by().values_list(
        Cast("hour", CharField()), "kwh", Cast("cost", FloatField()), "co2_g"
    )
    return {hour: (kwh, cost, co2) for hour, kwh, cost, co2 in rows}


def daily_rollups_priced(rollups: QuerySet) -> QuerySet:
    """Annotate the devices app's daily rollups with `cost`: billing's sum for the device's
    day (DailyCost), when every plan's clock is TIME_ZONE's (the rollups' days); else None
    (the admin's list of daily rollups; the API reads daily_costs())."""
    if all(plan["timezone"] == settings.TIME_ZONE for _, plan in plan_versions()):
        day = DailyCost.objects.filter(device_id=OuterRef("device_id"), day=OuterRef("day"))
        return rollups.annotate(cost=Subquery(day.order_by().values("cost")[:1]))
    return rollups.annotate(cost=Value(None, output_field=COST_FIELD))


def rollups_priced_with_co2(rollups: QuerySet) -> QuerySet:
    """rollups_priced() with `co2_g` too (the device history's buckets)."""
    return rollups_priced(rollups, with_co2=True)


class RollupCosts:
    """What the devices app reads costs through (plugged in by billing/apps.py, so the
    devices app never imports billing): its history, statistics and dashboard figures."""

    hourly = staticmethod(rollups_priced_with_co2)
    device_hours = staticmethod(device_hour_costs)
    daily = staticmethod(daily_costs)
    daily_co2 = staticmethod(daily_co2)
    daily_rollups = staticmethod(daily_rollups_priced)


def costs_by_device(
    ranges: Mapping[Hashable, tuple[datetime, datetime]],
) -> dict[Hashable, dict[int, Decimal]]:
    """{key: {device id: stored energy cost (with its tax) of hours in [start, end)}} for
    each keyed range, summed in SQL in one query (a device without costs is left out)."""
    return sums_by_device(ranges, ("cost",))["cost"]


def sums_by_device(
    ranges: Mapping[Hashable, tuple[datetime, datetime]], fields: Sequence[str] = ("cost", "co2_g")
) -> dict[str, dict[Hashable, dict[int, Decimal | float]]]:
    """{field: {key: {device id: sum}}}: costs_by_device() for each stored field (`cost`,
    `co2_g`: grams of CO2), all in the one grouped query."""
    found: dict = {f: {key: {} for key in ranges} for f in fields}
    if not ranges:
        return found
    inside = {key: Q(hour__gte=start, hour__lt=end) for key, (start, end) in ranges.items()}
    names = {(f, key): f"{f}_{n}" for n, key in enumerate(ranges) for f in fields}
    any_range = Q()
    for q in inside.values():
        any_range |= q
    sums = {name: Sum(f, filter=inside[key]) for (f, key), name in names.items()}
    rows = HourlyCost.objects.filter(any_range).values("device_id").annotate(**sums).order_by()
    for row in rows:
        for (f, key), name in names.items():
            if row[name] is not None:
                found[f][key][row["device_id"]] = row[name]
    return found


@dataclass(frozen=True)
class CostsSoFar:
    """Each device's stored energy cost today and so far this billing period (the plan's
    local days; fixed and demand charges are the household's, not a device's)."""

    currency: str
    period_start: date
    today: date
    period: dict[int, float]
    day: dict[int, float]


def costs_so_far(at: datetime | None = None) -> CostsSoFar:
    """Return every device's cost today and this billing period, from DailyCost rows."""
    at = at or timezone.now()
    history = plan_history()
    versions = Versions(plan_versions(history))
    ((start, _end),) = version_periods(at, at + MICROSECOND, versions)
    first, today = versions.local(start).date(), versions.local(at).date()
    rows = (
        DailyCost.objects.filter(day__gte=first, day__lte=today)
        .values("device_id")
        .annotate(
            in_period=Cast(Sum("cost"), FloatField()),
            on_day=Cast(Sum("cost", filter=Q(day=today)), FloatField()),
        )
        .values_list("device_id", "in_period", "on_day")
    )  # one pass over the period's rows
    period, day = {}, {}
    for device_id, in_period, on_day in rows:
        period[device_id], day[device_id] = in_period, on_day or 0.0
    currency = plan_in_force(at, history).plan["currency"]
    return CostsSoFar(currency=currency, period_start=first, today=today, period=period, day=day)


def typical_week(plan: dict, day: date) -> dict:
    """Each hour's price of a kWh on a weekday and a weekend day of day's week (the rates
    page's preview; billing/preview.py)."""
    from billing.preview import typical_week as week  # the preview imports the plan engine

    return week(plan, day)


# -- forecasts: energy not used yet (the insights app's standby and bill projection) --------


@dataclass(frozen=True)
class BillingPeriod:
    """One billing period of the plans in force: [start, end) in UTC, its local days, and
    the plan versions it was worked out with (the forecasts below price with them)."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    currency: str
    timezone: str
    versions: tuple = field(default=(), compare=False, repr=False)

    @property
    def linear(self) -> bool:
        """Whether every kWh of the period costs the same whatever came before (no tiers)."""
        return all(forecast.linear(plan) for _, plan in self.versions)

    @property
    def bills_demand(self) -> bool:
        """Whether a plan charges for peak demand (the fixed charges then read the hours)."""
        return any(plan["demand_charge_per_kw"] for _, plan in self.versions)


def billing_period(at: datetime | None = None) -> BillingPeriod:
    """The billing period `at` (now by default) falls in: from local midnight of the cycle
    day of the plan in force then, to the next one (billing/periods.py)."""
    at = at or timezone.now()
    history = plan_history()
    listed = plan_versions(history)
    versions = Versions(listed)
    ((start, end),) = version_periods(at, at + MICROSECOND, versions)
    current = plan_in_force(at, history).plan
    return BillingPeriod(
        start=start,
        end=end,
        first_day=versions.local(start).date(),
        last_day=versions.local(end - MICROSECOND).date(),
        currency=current["currency"],
        timezone=current["timezone"],
        versions=tuple(listed),
    )


def steady_power_yearly_cost(
    watts: float | Decimal, start: datetime, end: datetime
) -> tuple[str, Decimal, Decimal]:
    """(currency, kWh, energy cost with its tax) of `watts` drawn without a break over
    [start, end) under the plan in force at `start`, as if it were always in force (see
    billing/forecast.py; fixed charges are billed whatever the standby, so left out)."""
    plan = plan_in_force(start).plan
    kwh, cost = forecast.steady_power_cost(to_decimal(watts), plan, start, end)
    return plan["currency"], kwh, cost


def rest_of_period_cost(
    period: BillingPeriod,
    at: datetime,
    used_kwh: float | Decimal,
    future: Iterable[tuple[datetime, datetime, float | Decimal, Hashable]],
) -> dict[Hashable, Decimal]:
    """The energy cost of `future` (start, end, kWh, key) intervals in [at, period.end),
    per key, priced in the tiers the period's total reaches after used_kwh (the energy
    since period.start) with the plans of the period."""
    future = [(a, b, to_decimal(max(kwh, 0)), key) for a, b, kwh, key in future]
    return forecast.rest_of_period_cost(
        period.versions, period.start, at, to_decimal(max(used_kwh, 0)), future, period.end
    )


def rest_of_period_tiered(
    period: BillingPeriod,
    at: datetime,
    used_kwh: float | Decimal,
    future: Iterable[tuple[datetime, datetime, float | Decimal, Hashable]],
) -> forecast.TieredRest | None:
    """rest_of_period_cost() of a tiered period in its time-of-use and tier parts
    (billing/forecast.py TieredRest), or None when the period is not one plan with one
    ladder."""
    future = [(a, b, to_decimal(max(kwh, 0)), key) for a, b, kwh, key in future]
    return forecast.rest_of_period_tiered(
        period.versions, period.start, at, to_decimal(max(used_kwh, 0)), future, period.end
    )


def period_fixed_cost(
    period: BillingPeriod, hours: Iterable[tuple[datetime, datetime, float | Decimal]] = ()
) -> Decimal:
    """The charges billed once for the period (service, demand, fees, their tax); hours
    (start, end, household kWh) are only read by a demand charge."""
    return forecast.period_fixed_cost(period.versions, period.start, period.end, hours)


def money_places(currency: str) -> int:
    """Decimal places an amount in this currency is shown with (ISO 4217: 2, JPY 0, ...)."""
    return currency_places(currency)


def run_costs(
    runs: Sequence[tuple[datetime, Sequence[float]]], step: timedelta, at: datetime | None = None
) -> tuple[str, list[tuple[str, Decimal]]]:
    """The currency in force at `at` (now), and (currency, energy cost with its tax) of each
    run: (start, kWh per step from start), priced alone with the plan in force at each
    moment (billing/forecast.py profile_cost: a run across a time-of-use edge or a plan
    change is split and each piece priced at its own price; tiers from the first, as if
    it were the period's only use). One read of the plans for all of them."""
    history = plan_history()
    versions = plan_versions(history)
    changes = PriceChanges(Versions(versions))  # one cache of price changes for all runs
    priced = []
    for start, kwh in runs:
        currency = plan_in_force(start, history).plan["currency"]
        priced.append((currency, forecast.profile_cost(versions, start, step, kwh, changes)))
    return plan_in_force(at, history).plan["currency"], priced
