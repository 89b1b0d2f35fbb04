"""Pure power-rule maths over readings: lists of (timestamp, power_w) in time order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

Sample = tuple[datetime, float | None]


def trailing_run_start(samples: Sequence[Sample], holds: Callable[[float], bool]):
    """Return when the run of samples at the end for which `holds` is true began, or None."""
    start = None
    for ts, power in reversed(samples):
        if power is None or not holds(power):
            break
        start = ts
    return start


def is_stale(samples: Sequence[Sample], now: datetime, fresh_within: timedelta) -> bool:
    """No readings, or the newest is too old to say anything about the present."""
    return not samples or now - samples[-1][0] > fresh_within


def sustained(samples, now, holds, minutes: float) -> bool:
    """True when `holds` has been true for every reading of the last `minutes` minutes."""
    start = trailing_run_start(samples, holds)
    return start is not None and now - start >= timedelta(minutes=minutes)
