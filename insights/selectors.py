"""Reads of the insights app: standby power and its yearly cost, the bill projection, how
far the projections of closed periods were off, and what changed against earlier periods.
And appliance runs: what one run costs. Each answer is the API's body.

The pages and the API read the same answers, kept in the shared cache for
INSIGHTS_CACHE_SECONDS (60) per question: working one out reads a year of hourly rollups
(20-60 ms), and the figures move by one hour's readings at a time. The cache key carries
the plans' stamp, the newest projection check and the device list's ids, so a new or
edited plan, a newly kept check or an added or removed device is seen at once; anything
else (new readings, new stored costs) at most that long later. An explicit `now` (tests,
the closed period's check) always works the answer out.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils import timezone
from redis.exceptions import RedisError

from billing import selectors as billing_selectors
from devices import selectors as device_selectors
from insights import changes as _changes
from insights import run_costs
from insights.models import ApplianceKind, ApplianceSettings, ProjectionCheck
from insights.projection import DEFAULT_HISTORY_DAYS, WEEKDAY, WEEKEND, project
from insights.runs import PRESETS
from insights.standby import DEFAULT_NIGHTS
from insights.standby import standby_report as _standby_report
from kasamonitor.ranges import household_zone
from kasamonitor.timestamps import iso_utc

CHECKS_SHOWN = 12
APPLIANCE_KINDS = ApplianceKind.choices  # [(value, label)] for forms


def standby_report(*, nights: int = DEFAULT_NIGHTS, now: datetime | None = None) -> dict:
    """Each device's always-on power (highest first), the household's, and their yearly cost."""
    if now is not None:
        return _standby_report(nights=nights, now=now)
    return _cached(f"standby:{nights}", lambda: _standby_report(nights=nights))


def changes(
    *, start: str | None = None, end: str | None = None, now: datetime | None = None
) -> dict:
    """The period's kWh and cost (by default the billing period so far) against the previous
    period and the same period a year ago, household and per device, with the movers.

    Raises InvalidDateRange for a bad start/end (before any cache lookup)."""
    if now is not None:
        return _changes.changes(start=start, end=end, now=now)
    if start or end:
        _changes.spans(timezone.now(), start, end)  # a bad range is refused, never cached
    key = f"changes:{start or ''}:{end or ''}".replace(" ", "_")
    return _cached(key, lambda: _changes.changes(start=start, end=end))


def bill_projection(
    *, history_days: int = DEFAULT_HISTORY_DAYS, now: datetime | None = None
) -> dict:
    """The current billing period so far and projected to its end, with the checks of the
    closed periods."""
    if now is not None:
        return _bill_projection(history_days, now)
    return _cached(f"bill:{history_days}", lambda: _bill_projection(history_days, None))


def _cached(question: str, work) -> dict:
    """The answer kept in the cache under this question and the data's stamp, else `work()`
    (kept for INSIGHTS_CACHE_SECONDS). Without Redis, every request works it out."""
    seconds = settings.INSIGHTS_CACHE_SECONDS
    if seconds <= 0:
        return work()
    key = f"insights:{question}:{_stamp()}"
    try:
        found = cache.get(key)
    except RedisError:
        return work()
    if found is None:
        found = work()
        with contextlib.suppress(RedisError):
            cache.set(key, found, seconds)
    return found


def _stamp() -> str:
    """What invalidates a kept answer at once: the plans, the newest projection check and
    the devices (added or removed; a poll, which saves a device, does not count)."""
    checks = ProjectionCheck.objects.aggregate(newest=Max("pk"))["newest"] or 0
    fleet = device_selectors.device_list().order_by().aggregate(n=Count("pk"), ids=Sum("pk"))
    return f"{billing_selectors.plans_stamp()}.{checks}.{fleet['n']}.{fleet['ids'] or 0}"


def _bill_projection(history_days: int, now: datetime | None) -> dict:
    p = project(now or timezone.now(), history_days=history_days)
    currency, period = p.period.currency, p.period
    money = _money(currency)
    days = (period.last_day - period.first_day).days + 1
    elapsed = (p.at - period.start) / (period.end - period.start) * days
    return {
        "currency": currency,
        "timezone": period.timezone,
        "as_of": iso_utc(p.at),
        "period": {
            "start": iso_utc(period.start),
            "end": iso_utc(period.end),
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "days": days,
            "days_elapsed": round(elapsed, 2),
        },
        "so_far": {
            "kwh": round(float(p.used_kwh), 3),
            "energy_cost": money(p.used_cost),
            "co2_kg": round(p.used_co2_g / 1000, 3),
        },
        "projected": {
            "kwh": round(float(p.kwh), 3),
            "co2_kg": round(p.co2_g / 1000, 3),
            "energy_cost": money(p.energy_cost),
            "fixed_charges": money(p.fixed),
            "total_cost": money(p.total_cost),
            "low": {"kwh": round(float(p.low_kwh), 3), "total_cost": money(p.low_cost)},
            "high": {"kwh": round(float(p.high_kwh), 3), "total_cost": money(p.high_cost)},
        },
        "basis": {
            "history_days": p.history_days,
            "weekdays": p.pattern.days[WEEKDAY],
            "weekend_days": p.pattern.days[WEEKEND],
            "weekday_kwh": round(float(p.pattern.daily(WEEKDAY)), 3),
            "weekend_kwh": round(float(p.pattern.daily(WEEKEND)), 3),
        },
        "checks": projection_checks(),
    }


def projection_checks(limit: int = CHECKS_SHOWN) -> list[dict]:
    """The latest closed periods: projected (at mid-period) against actual, newest first."""
    rows = []
    for check in ProjectionCheck.objects.all()[:limit]:
        money = _money(check.currency)
        rows.append(
            {
                "first_day": check.first_day.isoformat(),
                "last_day": check.last_day.isoformat(),
                "currency": check.currency,
                "projected_at": iso_utc(check.projected_at),
                "projected_kwh": round(check.projected_kwh, 3),
                "projected_cost": money(check.projected_cost),
                "low_cost": money(check.low_cost),
                "high_cost": money(check.high_cost),
                "actual_kwh": round(check.actual_kwh, 3),
                "actual_cost": money(check.actual_cost),
                "error_cost": money(check.error_cost),
                "error_percent": None
                if check.error_percent is None
                else round(check.error_percent, 1),
            }
        )
    return rows


def _money(currency: str):
    quantum = Decimal(1).scaleb(-billing_selectors.money_places(currency))

    def present(value: Decimal) -> float:
        return float(Decimal(value).quantize(quantum))

    return present


def appliance_runs(device, *, limit: int = 20, now: datetime | None = None) -> dict:
    """The device's latest appliance runs with their cost, the last 10 runs' averages and
    the cheapest hour of tomorrow to start its typical run."""
    return run_costs.runs_report(device, limit=limit, now=now)


def appliance_runs_between(start: datetime, end: datetime, *, now: datetime | None = None) -> dict:
    """Every device's runs that started in [start, end), priced (the export, the mails)."""
    return run_costs.runs_between(start, end, now=now)


def appliance_runs_by_device(
    start: datetime, end: datetime, *, now: datetime | None = None
) -> dict:
    """Per device, the runs that started in [start, end): their number, kWh, cost and kg of
    CO2, dearest first (the dashboard, the costs page, the mails). Kept as the other answers."""
    if now is not None:
        return run_costs.runs_by_device(start, end, now=now)
    key = f"runs:{iso_utc(start)}:{iso_utc(end)}"
    return _cached(key, lambda: run_costs.runs_by_device(start, end))


def appliances_watched() -> bool:
    """Whether any device has run settings (else there are no runs to show)."""
    return ApplianceSettings.objects.exists()


def recent_days(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[local midnight `days - 1` days ago, tomorrow's local midnight): the last `days` days
    on the household's clock, today included (stable all day, so it caches)."""
    zone = household_zone()
    today = (now or timezone.now()).astimezone(zone).date()
    first = datetime.combine(today - timedelta(days=days - 1), time(0), zone)
    return first.astimezone(UTC), datetime.combine(
        today + timedelta(days=1), time(0), zone
    ).astimezone(UTC)


def appliance_settings(device) -> dict:
    """The device's run settings (None: not detected) and each kind's preset."""
    return {
        "device": {"id": device.pk, "device_name": device.name, "device_ip": device.host},
        "settings": run_costs.settings_out(ApplianceSettings.objects.filter(device=device).first()),
        "presets": {
            str(kind): {
                "threshold_w": p.threshold_w,
                "min_run_minutes": p.min_run_minutes,
                "max_gap_minutes": p.max_gap_minutes,
            }
            for kind, p in PRESETS.items()
        },
    }
