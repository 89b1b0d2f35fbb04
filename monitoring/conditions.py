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


def run_before(samples: Sequence[Sample], level: float, max_dip: timedelta):
    """Return the start of the run above `level` that ends the samples, ignoring dips shorter
    than max_dip (a washing machine pauses while it soaks), or None."""
    start = None
    for ts, power in reversed(samples):
        if power is not None and power >= level:
            start = ts
        elif start is None or start - ts >= max_dip:
            break
    return start


def appliance_finished(
    samples: Sequence[Sample], now: datetime, level: float, min_run: float, settle: float
) -> tuple[bool | None, float]:
    """Return (verdict, run minutes): True once power has stayed below `level` for `settle`
    minutes after a run of at least `min_run` minutes; False while it runs; None otherwise."""
    last_power = samples[-1][1]
    if last_power is not None and last_power >= level:
        return False, 0.0
    quiet_start = trailing_run_start(samples, lambda p: p < level)
    if quiet_start is None or now - quiet_start < timedelta(minutes=settle):
        return None, 0.0
    earlier = [s for s in samples if s[0] < quiet_start]
    run_start = run_before(earlier, level, timedelta(minutes=settle))
    if run_start is None:
        return None, 0.0
    run_minutes = (quiet_start - run_start).total_seconds() / 60
    return (True if run_minutes >= min_run else None), run_minutes
