"""What changed: a period's kWh and energy cost against the period before it and against the
same period a year earlier, for the household and per device, with the biggest movers.

- **The period**: by default the current billing period so far (from its start to the end
  of the current hour); or the [start, end) of the request (kasamonitor.ranges: a date is
  a whole day on the clock of the plan in force).
- **The previous period**: by default the previous billing period's first part, as long on
  the wall clock as the current period has run (a fair comparison: 9 days against the
  previous period's first 9 days, not against all of it); for an explicit range, the range
  of the same wall-clock length that ends where it starts.
- **A year ago**: the period's start and end, a year earlier on the wall clock (29 February
  becomes 28 February).

kWh are the devices app's hourly rollups and costs billing's stored hourly costs (energy
and its tax, priced with the plan in force at each hour, so a plan change between the
periods shows in the cost and not in the kWh); fixed charges are the household's, billed
whatever the use, and are left out. kg of CO2 are billing's stored grams beside the costs.
Each figure is summed per device in SQL, one query for the kWh and one for the costs and
grams of the three periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum
from django.utils import timezone

from billing import selectors as billing_selectors
from devices import selectors as device_selectors
from kasamonitor.ranges import InvalidDateRange, check_order, parse_bound
from kasamonitor.timestamps import iso_utc

HOUR = timedelta(hours=1)
MICROSECOND = timedelta(microseconds=1)
MAX_DAYS = 366
MOVERS = 3
KEYS = ("current", "previous", "year_ago")


@dataclass(frozen=True)
class Span:
    start: datetime  # UTC
    end: datetime  # UTC, excluded

    def describe(self, zone: ZoneInfo) -> dict:
        last = max(self.end - MICROSECOND, self.start)
        return {
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            "first_day": self.start.astimezone(zone).date().isoformat(),
            "last_day": last.astimezone(zone).date().isoformat(),
        }


def spans(
    now: datetime, start: str | None = None, end: str | None = None
) -> tuple[ZoneInfo, bool, dict[str, Span]]:
    """(the plan's clock, whether it is the billing period so far, {key: span})."""
    period = billing_selectors.billing_period(now)
    zone = ZoneInfo(period.timezone)
    if start in (None, "") and end in (None, ""):
        current = Span(period.start, min(_ceil_hour(now), period.end))
        before = billing_selectors.billing_period(period.start - MICROSECOND)
        run = _wall(current.end, zone) - _wall(current.start, zone)
        previous = Span(before.start, min(_at(_wall(before.start, zone) + run, zone), before.end))
        so_far = True
    else:
        low = parse_bound(start, field="start", zone=zone)
        high = parse_bound(end, field="end", end=True, zone=zone)
        if low is None or high is None:
            missing = "start" if low is None else "end"
            raise InvalidDateRange("Give both start and end, or neither.", field=missing)
        check_order(low.moment, high.moment, field="start", end_field="end")
        if high.moment - low.moment > timedelta(days=MAX_DAYS):
            raise InvalidDateRange(f"The range may span at most {MAX_DAYS} days.", field="end")
        current = Span(low.moment, high.moment)
        length = _wall(current.end, zone) - _wall(current.start, zone)
        previous = Span(_at(_wall(current.start, zone) - length, zone), current.start)
        so_far = False
    year_ago = Span(_year_before(current.start, zone), _year_before(current.end, zone))
    return zone, so_far, {"current": current, "previous": previous, "year_ago": year_ago}


def figures(found: dict[str, Span]) -> tuple[dict[str, dict[int, float]], dict, dict]:
    """({key: {device id: kWh}}, {key: {device id: cost}}, {key: {device id: g CO2}}) of
    each span, summed in SQL."""
    inside = {key: Q(hour__gte=s.start, hour__lt=s.end) for key, s in found.items()}
    any_span = Q()
    for q in inside.values():
        any_span |= q
    rows = (
        device_selectors.hourly_all()
        .filter(any_span)
        .values("device_id")
        .annotate(**{f"kwh_{key}": Sum("energy_kwh", filter=q) for key, q in inside.items()})
        .order_by()
    )
    kwh: dict[str, dict[int, float]] = {key: {} for key in found}
    for row in rows:
        for key in found:
            if row[f"kwh_{key}"] is not None:
                kwh[key][row["device_id"]] = max(row[f"kwh_{key}"], 0.0)
    sums = billing_selectors.sums_by_device({k: (s.start, s.end) for k, s in found.items()})
    return kwh, sums["cost"], sums["co2_g"]


def changes(
    *, start: str | None = None, end: str | None = None, now: datetime | None = None
) -> dict:
    """The API's body: the period's figures and both comparisons."""
    now = (now or timezone.now()).astimezone(UTC)
    zone, so_far, found = spans(now, start, end)
    currency = billing_selectors.plan_in_force(now).plan["currency"]
    places = billing_selectors.money_places(currency)
    kwh, costs, grams = figures(found)
    ids = set()
    for key in KEYS:
        ids |= set(kwh[key]) | set(costs[key])
    devices = {d.pk: d for d in device_selectors.device_list().filter(pk__in=ids)}

    def totals(key: str, device_id: int | None = None) -> tuple[float, Decimal, float]:
        if device_id is None:
            return (
                sum(kwh[key].values()),
                sum(costs[key].values(), Decimal(0)),
                sum(grams[key].values()),
            )
        return (
            kwh[key].get(device_id, 0.0),
            costs[key].get(device_id, Decimal(0)),
            grams[key].get(device_id, 0.0),
        )

    def compared(earlier: str) -> dict:
        rows = []
        for device_id in ids:
            device = devices.get(device_id)
            row = _change(totals("current", device_id), totals(earlier, device_id), places)
            rows.append(
                {
                    "id": device_id,
                    "device_name": device.name if device else str(device_id),
                    "device_ip": device.host if device else None,
                    **row,
                }
            )
        rows.sort(key=lambda r: (-r["cost"], -r["kwh"], r["device_name"], r["id"]))
        return {
            **found[earlier].describe(zone),
            "household": _change(totals("current"), totals(earlier), places),
            "devices": rows,
            "movers": _movers(rows),
        }

    now_kwh, now_cost, now_grams = totals("current")
    return {
        "currency": currency,
        "timezone": str(zone),
        "as_of": iso_utc(now),
        "period": {**found["current"].describe(zone), "so_far": so_far},
        "household": {
            "kwh": round(now_kwh, 3),
            "cost": _money(now_cost, places),
            "co2_kg": round(now_grams / 1000, 3),
        },
        "previous": compared("previous"),
        "year_ago": compared("year_ago"),
    }


def _change(now: tuple, before: tuple, places: int) -> dict:
    """Both figures rounded as shown, and the change between the shown figures."""
    kwh, earlier_kwh = round(now[0], 3), round(before[0], 3)
    co2, earlier_co2 = round(now[2] / 1000, 3), round(before[2] / 1000, 3)
    cost, earlier_cost = _money(now[1], places), _money(before[1], places)
    cost_change = _money(Decimal(repr(cost)) - Decimal(repr(earlier_cost)), places)
    return {
        "kwh": kwh,
        "earlier_kwh": earlier_kwh,
        "kwh_change": round(kwh - earlier_kwh, 3),
        "kwh_change_percent": _percent(kwh - earlier_kwh, earlier_kwh),
        "cost": cost,
        "earlier_cost": earlier_cost,
        "cost_change": cost_change,
        "cost_change_percent": _percent(cost_change, earlier_cost),
        "co2_kg": co2,
        "earlier_co2_kg": earlier_co2,
        "co2_change_kg": round(co2 - earlier_co2, 3),
        "co2_change_percent": _percent(co2 - earlier_co2, earlier_co2),
        "new": earlier_kwh == 0 and earlier_cost == 0 and (kwh > 0 or cost > 0),
    }


def _movers(rows: list[dict]) -> dict:
    """The devices whose cost rose most and fell most (at most MOVERS each), named."""
    up = sorted((r for r in rows if r["cost_change"] > 0), key=lambda r: -r["cost_change"])
    down = sorted((r for r in rows if r["cost_change"] < 0), key=lambda r: r["cost_change"])
    return {"up": [_mover(r) for r in up[:MOVERS]], "down": [_mover(r) for r in down[:MOVERS]]}


def _mover(row: dict) -> dict:
    percent = row["cost_change_percent"]
    said = "new" if percent is None else f"{percent:+.0f} %"
    return {
        "id": row["id"],
        "device_name": row["device_name"],
        "cost_change": row["cost_change"],
        "cost_change_percent": percent,
        "label": f"{row['device_name']} {said}",
    }


def _percent(change: float, earlier: float) -> float | None:
    return None if earlier == 0 else round(change / earlier * 100, 1)


def _money(value: Decimal, places: int) -> float:
    return float(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment on the wall clock of `zone` (naive)."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _at(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _year_before(moment: datetime, zone: ZoneInfo) -> datetime:
    wall = _wall(moment, zone)
    day = 28 if (wall.month, wall.day) == (2, 29) else wall.day
    return _at(wall.replace(year=wall.year - 1, day=day), zone)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR
