"""The stored-cost pipeline: price the hourly rollups with the engine, keep cost per device-hour.

Tiers count the household's use from the start of each billing period, so a changed hour
changes the price of every later hour of its period (and only of its period). Pricing
from hour h therefore needs the household's kWh from the period start to h: that total is
passed to the engine as one interval of its own (BEFORE), whose cost is thrown away.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import ExitStack
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from billing import rollups, selectors
from billing.carbon import Intensity
from billing.costs.daily import summarise_days
from billing.decimals import ZERO, to_decimal
from billing.engine import Interval, price
from billing.models import HourlyCost, RepriceRequest
from billing.periods import PlanVersion, Versions, version_periods
from kasamonitor import locks, queueing
from kasamonitor.ranges import household_zone

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
BEFORE = "household use earlier in the period"  # device id of the tier-position interval
COST_QUANTUM = Decimal("1e-12")
LOCK_KEY = "billing:pricing-lock"
LOCK_TTL = 900  # seconds; a holder that died on another machine frees it then (kasamonitor.locks)


def pricing_lock(wait: float = 0.0):
    """Hold the pricing lock; yields False if another live process holds it."""
    return locks.held(LOCK_KEY, LOCK_TTL, wait)


def price_hours(device_ids: Iterable[int], hours: Iterable[datetime]) -> int:
    """Price these changed hours again, with the later hours of their billing periods.

    Tiers are the household's, so every device's hours are priced, not only device_ids'.
    When another run holds the lock the rollups stay pending for price_pending().
    Return the number of device-hours stored.
    """
    with pricing_lock(wait=5) as acquired:
        return _price(set(hours)) if acquired else 0


def price_pending() -> int:
    """Price every rollup hour changed since it was priced, and every requested re-pricing.

    Looks at the rollups written since the last run (billing.rollups.pending_hours); the
    hours a run could not price stay pending for the next, which looks at them again.
    """
    with pricing_lock() as acquired:
        return _price_pending() if acquired else 0


def price_pending_now(wait: float = 10.0) -> int | None:
    """price_pending() in this process, at once: for a command that wrote history (an import).

    Run inside the caller's transaction, the costs land with the data they price. Waits up
    to `wait` seconds for a pricing run elsewhere; returns None if it still holds the lock
    (the pending hours then stay for the worker's price_pending). Works with Redis down
    (`make run` stopped): no process can take the lock then, so none is pricing.
    """
    with ExitStack() as stack:
        try:
            acquired = stack.enter_context(pricing_lock(wait))
        except RedisError as exc:  # the lock's store is unreachable: so it is for everyone
            logger.info("pricing without the lock, Redis is not reachable: %s", exc)
            acquired = True
        return _price_pending() if acquired else None


def _price_pending() -> int:
    looking = timezone.now()
    requests = list(RepriceRequest.objects.values_list("id", "start"))
    since = min((start for _, start in requests), default=None)
    stored = _price(set(rollups.pending_hours(rollups.last_looked())), since)
    RepriceRequest.objects.filter(id__in=[pk for pk, _ in requests]).delete()
    rollups.looked(looking)
    return stored


def reprice_requested() -> bool:
    """Whether a plan change asked for costs to be worked out again (maybe years of hours)."""
    return RepriceRequest.objects.exists()


def request_reprice(start: datetime, reason: str) -> None:
    """Have costs from start on worked out again (soon, by the price_pending task).

    The request is a row, so with Redis down the periodic price_pending still finds it.
    """
    from billing.tasks import price_pending as task

    RepriceRequest.objects.create(start=start, reason=reason[:200])
    transaction.on_commit(lambda: queueing.send(task))


def _price(changed: set[datetime], since: datetime | None = None) -> int:
    """Price from since to the end of the data, and from each changed hour to its period's end."""
    first_data, last_data = rollups.data_span()
    starts = [*changed, *([since] if since else [])]
    if first_data is None or not starts:
        return 0
    end = last_data + HOUR
    begin = max(min(starts), first_data)
    versions = selectors.plan_versions()
    carbon = selectors.grid_intensity().intensity
    stored = 0
    for low, high in version_periods(begin, end, Versions(versions)):
        wanted = [h for h in changed if low <= h < high]
        if since is not None and since < high:
            wanted.append(max(since, low))
        if wanted:
            span = (low, _hour_floor(min(wanted)), min(high, end))
            stored += _price_span(versions, carbon, *span)
    return stored


def _price_span(
    versions: list[PlanVersion],
    carbon: Intensity,
    period_start: datetime,
    start: datetime,
    end: datetime,
) -> int:
    """Price all devices' hours in [start, end) of the billing period starting at period_start."""
    if end <= start:
        return 0
    rows = rollups.energy_rows(start, end)
    costs = {}
    if rows:
        intervals = [
            Interval(pk, hour, hour + HOUR, to_decimal(max(kwh, 0.0))) for pk, hour, kwh in rows
        ]
        before = rollups.household_kwh(period_start, start) if start > period_start else ZERO
        if before:
            intervals.append(Interval(BEFORE, period_start, start, before))
        result = price(intervals, versions, start, end)
        costs = {(c.device_id, c.start): c.cost for c in result.intervals}
    _store(rows, costs, _grams(rows, carbon), start, end, versions)
    return len(rows)


def _grams(rows: list, carbon: Intensity) -> list[float]:
    """Each row's grams of CO2: its kWh (as the engine reads it) at its hour's intensity."""
    zone = household_zone()
    return [max(kwh, 0.0) * carbon.at(hour, zone) for _, hour, kwh in rows]


def _store(
    rows: list,
    costs: dict,
    grams: list[float],
    start: datetime,
    end: datetime,
    versions: list[PlanVersion],
) -> None:
    priced = [
        HourlyCost(
            device_id=pk,
            hour=hour,
            kwh=kwh,
            cost=costs[pk, hour].quantize(COST_QUANTUM),
            co2_g=co2,
        )
        for (pk, hour, kwh), co2 in zip(rows, grams, strict=True)
    ]
    with transaction.atomic():
        HourlyCost.objects.filter(hour__gte=start, hour__lt=end).delete()
        HourlyCost.objects.bulk_create(priced, batch_size=1000)
        summarise_days(versions, start, end)


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
