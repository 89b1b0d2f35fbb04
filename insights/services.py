"""Writes of the insights app: keeping each closed billing period's projection check, and
the appliance runs' settings and detection."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import selectors as billing_selectors
from devices import selectors as device_selectors
from insights import runs
from insights.models import ApplianceSettings, ProjectionCheck
from insights.projection import HOUR, household_hours, project
from security.services import audit_record

MICROSECOND = timedelta(microseconds=1)


def record_closed_period(now: datetime | None = None) -> ProjectionCheck | None:
    """Keep the last closed billing period's check, once: the projection as it stood at the
    period's middle (the hour it falls in) beside the period's actual kWh and cost.

    Nothing is written for a period without any readings. Idempotent: the periodic task
    and GET /api/insights/bill-projection may both call it (the pages only read).
    """
    now = now or timezone.now()
    current = billing_selectors.billing_period(now)
    closed = billing_selectors.billing_period(current.start - MICROSECOND)
    if ProjectionCheck.objects.filter(period_start=closed.start).exists():
        return None
    hours = household_hours(closed.start, closed.end)
    if not hours:
        return None
    middle = closed.start + (closed.end - closed.start) / 2
    middle = middle.replace(minute=0, second=0, microsecond=0)
    projection = project(middle)
    actual_kwh = sum(hours.values())
    ids = list(_device_ids())
    demand = []
    if closed.bills_demand:
        demand = [(h, h + HOUR, kwh) for h, kwh in hours.items()]
    actual = billing_selectors.cost_between(ids, closed.start, closed.end)
    actual += billing_selectors.period_fixed_cost(closed, demand)
    error = projection.total_cost - actual
    try:
        with transaction.atomic():
            return ProjectionCheck.objects.create(
                period_start=closed.start, period_end=closed.end,
                first_day=closed.first_day, last_day=closed.last_day,
                currency=closed.currency, projected_at=middle,
                projected_kwh=projection.kwh, projected_cost=projection.total_cost,
                low_cost=projection.low_cost, high_cost=projection.high_cost,
                actual_kwh=actual_kwh, actual_cost=actual, error_cost=error,
                error_percent=float(error / actual * 100) if actual else None,
            )  # fmt: skip
    except IntegrityError:  # written meanwhile by another process
        return None


def _device_ids():
    return device_selectors.device_list().values_list("id", flat=True)


def appliance_settings_save(*, device, data: dict, actor=None) -> ApplianceSettings:
    """Detect the device's appliance runs with these settings (insights/runs.py); a change
    forgets the runs found so far and looks for them again in the readings."""
    with transaction.atomic():
        saved = runs.settings_save(device, data)
        audit_record(
            "appliance.settings", actor=actor, target=device, details={"fields": sorted(data)}
        )
    return saved


def appliance_settings_remove(*, device, actor=None) -> None:
    """Stop detecting the device's runs and forget them."""
    with transaction.atomic():
        runs.settings_remove(device)
        audit_record("appliance.remove", actor=actor, target=device)


def appliance_runs_detect(device_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Store the new runs of these devices (every device with settings by default)."""
    return runs.detect(device_ids, now)
