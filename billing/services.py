"""Writes of the billing app: saving rate plans, and the stored-cost pipeline (billing.costs.stored)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from billing import carbon
from billing.costs.stored import (
    price_hours,
    price_pending,
    price_pending_now,
    reprice_requested,
    request_reprice,
)
from billing.errors import InvalidGridIntensity, InvalidRatePlan
from billing.models import GridIntensity, RatePlan
from billing.plans import effective_from, plan_to_api
from billing.plans.errors import PlanError
from billing.selectors import EPOCH, load_plan
from security.services import audit_record

__all__ = [
    "grid_intensity_changed",
    "grid_intensity_save",
    "price_hours",
    "price_pending",
    "price_pending_now",
    "rate_plan_changed",
    "rate_plan_save",
    "reprice_requested",
    "request_reprice",
    "validate_plan",
]


def validate_plan(data: Any, *, prefix: str = "") -> dict:
    """Return the normalised plan; raise InvalidRatePlan (400) naming the offending field."""
    try:
        return load_plan(data)
    except PlanError as error:
        raise InvalidRatePlan.from_plan_error(error, prefix) from None


@transaction.atomic
def rate_plan_save(
    data: Mapping[str, Any], *, actor=None, request=None, now: datetime | None = None
) -> RatePlan:
    """Make a new plan effective now, or at its effective_date if that is later.

    Costs already worked out are never rewritten: an effective_date in the past (or
    today, whose midnight has passed) takes effect now. A plan saved for a moment a
    scheduled plan already has replaces it.
    """
    plan = validate_plan(data)
    now = now or timezone.now()
    start = max(effective_from(plan) or now, now)
    _check_currency(plan, start)
    first_ever = not RatePlan.objects.exists()
    RatePlan.objects.filter(effective_from=start).delete()
    row = RatePlan(effective_from=start, created_by=_user(actor))
    _fill(row, plan)
    row.save()
    # The first plan replaces the default for all history; a later one splits the
    # hour it starts in (later hours are priced as they come).
    request_reprice(EPOCH if first_ever else start, f"rate plan {row.pk} saved")
    audit_record(
        "rates.update",
        actor=actor,
        request=request,
        target=row,
        details={"rate_type": plan["rate_type"], "effective_from": start.isoformat()},
    )
    return row


def validate_grid_intensity(data: Any) -> carbon.Intensity:
    """Return the checked intensity; raise InvalidGridIntensity (400) naming the field."""
    if isinstance(data, Mapping) and data.get("default_g_per_kwh") in (None, ""):
        raise InvalidGridIntensity("default_g_per_kwh: required", field="default_g_per_kwh")
    try:
        return carbon.normalise(data)
    except carbon.IntensityError as error:
        raise InvalidGridIntensity.from_error(error) from None


@transaction.atomic
def grid_intensity_save(data: Any, *, actor=None, request=None) -> GridIntensity:
    """Replace the grid's carbon intensity; every stored hour's grams are worked out again
    with it (in the background, as after a plan edit), so history follows the setting."""
    intensity = validate_grid_intensity(data)
    row = GridIntensity.objects.order_by("pk").first() or GridIntensity()
    row.default_g_per_kwh = intensity.default_g_per_kwh
    row.overrides = list(intensity.overrides)
    row.updated_by = _user(actor)
    row.save()
    grid_intensity_changed()
    audit_record(
        "rates.grid_intensity",
        actor=actor,
        request=request,
        target=row,
        details={"default_g_per_kwh": row.default_g_per_kwh, "overrides": len(row.overrides)},
    )
    return row


def grid_intensity_changed() -> None:
    """After any change of the intensity (the API, the admin): re-apply it to all history."""
    request_reprice(EPOCH, "grid carbon intensity changed")


def rate_plan_changed(row: RatePlan, *, previous_start: datetime | None = None) -> None:
    """After an admin edit, import or delete: price again from the earliest moment affected."""
    starts = [s for s in (row.effective_from, previous_start) if s is not None]
    if not RatePlan.objects.exclude(pk=row.pk).filter(effective_from__lt=min(starts)).exists():
        starts.append(EPOCH)  # the earliest plan also prices everything before it
    request_reprice(min(starts), f"rate plan {row.pk} changed in the admin")


def fill_plan_fields(row: RatePlan, plan: Mapping[str, Any]) -> None:
    """Store a normalised plan on its row (for the admin and the importer)."""
    _fill(row, plan)


def _fill(row: RatePlan, plan: Mapping[str, Any]) -> None:
    # JSON-safe: Decimals become exact strings, which normalise_plan reads back as they were
    row.plan = json.loads(json.dumps(plan_to_api(plan), cls=DjangoJSONEncoder))
    row.name = plan["name"][:100]
    row.rate_type = plan["rate_type"]
    row.currency = plan["currency"]


def _check_currency(plan: Mapping[str, Any], start: datetime) -> None:
    others = RatePlan.objects.exclude(effective_from=start).exclude(currency=plan["currency"])
    other = others.values_list("currency", flat=True).first()
    if other:
        raise InvalidRatePlan(
            f"currency: must be {other} like the saved plans; costs in two currencies "
            "cannot be added up (change the saved plans in the admin first)",
            field="currency",
        )


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None
