"""Exact money arithmetic: conversion, exact splitting, and rounding for display only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, getcontext, localcontext
from functools import wraps
from typing import ParamSpec, TypeVar

ZERO = Decimal(0)
# Divisions (a share of an interval, of a tier, of a period) are carried to 20 decimal
# places; everything else (sums, kWh x rate) is exact. Far below a cent or a watt-hour.
SPLIT_QUANTUM = Decimal("1e-20")
# Enough digits that sums and products of such numbers are never rounded by the context.
PRECISION = 60

P = ParamSpec("P")
R = TypeVar("R")


def exact(function: Callable[P, R]) -> Callable[P, R]:
    """Run function with PRECISION digits, so its sums and products are never rounded."""

    @wraps(function)
    def with_precision(*args: P.args, **kwargs: P.kwargs) -> R:
        if getcontext().prec >= PRECISION:  # called from exact code: already precise enough
            return function(*args, **kwargs)
        with localcontext(prec=PRECISION):
            return function(*args, **kwargs)

    return with_precision


def to_decimal(value: object) -> Decimal:
    """Return value as a Decimal; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"not a number: {value!r}")
    return Decimal(str(value))


def split(amount: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split amount in proportion to weights so that the shares add up to amount exactly.

    Each share but the last is truncated to SPLIT_QUANTUM; the last takes the remainder.
    """
    if len(weights) < 2:
        return [amount] * len(weights)
    return _split(amount, weights)


@exact
def _split(amount: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    total = sum(weights, ZERO)
    if not total:
        return [amount] + [ZERO] * (len(weights) - 1)
    shares = [(amount * w / total).quantize(SPLIT_QUANTUM, ROUND_DOWN) for w in weights[:-1]]
    return shares + [amount - sum(shares, ZERO)]


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def present(value: Decimal, places: int = 2) -> Decimal:
    """Round value half-up to the given decimal places, for display only."""
    return to_decimal(value).quantize(quantum(places), rounding=ROUND_HALF_UP)


@exact
def present_parts(parts: Sequence[Decimal], places: int = 2) -> list[Decimal]:
    """Round parts so that they add up exactly to the rounded sum (largest remainder)."""
    step = quantum(places)
    floors = [p.quantize(step, rounding=ROUND_FLOOR) for p in parts]
    missing = int((present(sum(parts, ZERO), places) - sum(floors, ZERO)) / step)
    by_remainder = sorted(range(len(parts)), key=lambda i: parts[i] - floors[i], reverse=True)
    for i in by_remainder[:missing]:
        floors[i] += step
    return floors


@exact
def percentages(parts: Sequence[Decimal], places: int = 1) -> list[Decimal]:
    """Return each part's share of the whole in percent, rounded to add up to exactly 100."""
    total = sum(parts, ZERO)
    if not total:
        return [present(ZERO, places) for _ in parts]
    return present_parts([p * 100 / total for p in parts], places)
