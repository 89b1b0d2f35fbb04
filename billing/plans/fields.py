"""Reading single fields of a submitted plan, with the dotted path of each for error messages."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import PlanError

ZERO = Decimal(0)


class Fields:
    """A plan object's fields: the top level first, then rate_structure, then rate_config.

    The spec nests prices in rate_structure, the original product in rate_config; both
    may also sit at the top level. Each layer remembers its path prefix.
    """

    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, Mapping):
            raise PlanError(path.rstrip(".") or "plan", "must be an object")
        self.layers: list[tuple[str, Mapping]] = [(path, data)]
        for key in ("rate_structure", "rate_config"):
            if data.get(key) is None:
                continue
            if not isinstance(data[key], Mapping):
                raise PlanError(path + key, "must be an object")
            self.layers.append((f"{path}{key}.", data[key]))

    def find(self, *names: str) -> tuple[Any, str]:
        """Return the first of names that is set, with its path; or None and where it belongs."""
        for prefix, layer in self.layers:
            for name in names:
                if layer.get(name) is not None:
                    return layer[name], prefix + name
        return None, self.layers[min(1, len(self.layers) - 1)][0] + names[0]


def number(value: Any, path: str, *, maximum: Decimal | None = None) -> Decimal:
    """Return value as a Decimal that is zero or more (and at most maximum)."""
    if value is None:
        raise PlanError(path, "is required")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise PlanError(path, "must be a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise PlanError(path, "must be a number") from None
    if not amount.is_finite():
        raise PlanError(path, "must be a number")
    if amount < 0:
        raise PlanError(path, "must not be negative")
    if amount.adjusted() >= 9:  # a billion: beyond any household tariff, and safe to multiply
        raise PlanError(path, "is too large")
    if maximum is not None and amount > maximum:
        raise PlanError(path, f"must be at most {maximum}")
    return amount


def optional_number(fields: Fields, *names: str) -> Decimal:
    value, path = fields.find(*names)
    return ZERO if value is None else number(value, path)


def whole(value: Any, path: str, low: int, high: int) -> int:
    """Return value as a whole number from low to high."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlanError(path, f"must be a whole number from {low} to {high}")
    return value


def label(item: Mapping) -> str:
    """The name shown for a period, tier or season: label, or the original's description."""
    for key in ("label", "description", "name"):
        if item.get(key) is not None:
            return str(item[key])
    return ""
