"""Errors of the billing API (rendered by kasamonitor.errors.exception_handler)."""

from __future__ import annotations

from billing.carbon import IntensityError
from billing.plans.errors import PlanError
from kasamonitor.errors import ApiError


class InvalidRatePlan(ApiError):
    status_code = 400
    error_code = "INVALID_RATE_PLAN"
    message = "The rate plan is not valid."

    @classmethod
    def from_plan_error(cls, error: PlanError, prefix: str = "") -> InvalidRatePlan:
        """Name the offending field as a dotted path, e.g. time_of_use_rates[1].end_hour."""
        whole = error.field == "plan"  # the plan itself is not an object
        field = prefix.rstrip(".") if whole and prefix else f"{prefix}{error.field}"
        return cls(f"{field}: {error.message}", field=field)


class InvalidGridIntensity(ApiError):
    status_code = 400
    error_code = "INVALID_GRID_INTENSITY"
    message = "The grid carbon intensity is not valid."

    @classmethod
    def from_error(cls, error: IntensityError) -> InvalidGridIntensity:
        """Name the offending field as a dotted path, e.g. overrides[1].end_hour."""
        return cls(f"{error.field}: {error.message}", field=error.field)
