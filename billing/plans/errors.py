"""The error of the plan parser: which field of a submitted plan is wrong, and why."""

from __future__ import annotations


class PlanError(ValueError):
    """A plan that cannot be used; field is a dotted path such as time_of_use_rates[1].end_hour."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
