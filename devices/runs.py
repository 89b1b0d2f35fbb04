"""Appliance runs in a device's power samples: pure, no database.

The one detection both the insights app (the runs and what each costs) and the monitoring
app (the "appliance finished" alert) use, so a run the page lists is the run the alert saw.

Samples are (timestamp, power_w) in time order; power None (a poll without a power figure)
counts as below the threshold. A burst starts at a sample at or above the threshold and
ends at the first sample below it after its last such sample (when the device was seen to
stop; the last sample above when none follows yet). Bursts whose dip (from the end of one
to the start of the next: quiet samples or missing ones) is shorter than max_gap are one
burst: a washer pausing while it soaks. A run is a burst lasting at least min_run; insights cuts a burst at a day (`longest`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

Sample = tuple[datetime, float | None]


@dataclass(frozen=True)
class Burst:
    start: datetime  # the first sample at or above the threshold
    end: datetime  # the first sample below it after the last one above (or that last one)
    stopped: bool  # a sample below the threshold was seen after it (end is that sample)

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def bursts(
    samples: Iterable[Sample],
    threshold: float,
    max_gap: timedelta,
    longest: timedelta | None = None,
) -> list[Burst]:
    """Return the stretches at or above threshold, dips shorter than max_gap merged; a
    stretch is cut when it reaches `longest` (a device that never stops still gets runs)."""
    found: list[Burst] = []
    start = end = None
    stopped = False
    for ts, power in samples:
        above = power is not None and power >= threshold
        if above:
            too_long = longest is not None and start is not None and ts - start > longest
            if start is not None and not too_long and _joins(ts - end, stopped, max_gap):
                end, stopped = ts, False
                continue
            if start is not None:
                found.append(Burst(start, end, stopped))
            start, end, stopped = ts, ts, False
        elif start is not None and not stopped:
            end, stopped = ts, True
    if start is not None:
        found.append(Burst(start, end, stopped))
    return found


def _joins(gap: timedelta, stopped: bool, max_gap: timedelta) -> bool:
    """A dip (quiet samples) shorter than max_gap, or samples missing for at most max_gap
    (a lost poll while it ran), keeps the burst going."""
    return gap < max_gap if stopped else gap <= max_gap


def runs(
    samples: Sequence[Sample], threshold: float, min_run: timedelta, max_gap: timedelta
) -> list[Burst]:
    """Return the bursts lasting at least min_run: the appliance's runs."""
    return [b for b in bursts(samples, threshold, max_gap) if b.end - b.start >= min_run]


def is_over(burst: Burst, now: datetime, max_gap: timedelta) -> bool:
    """Whether nothing later can still join the burst: it stopped max_gap or more ago."""
    return now - burst.end >= max_gap


def finished(
    samples: Sequence[Sample],
    now: datetime,
    threshold: float,
    min_run: timedelta,
    max_gap: timedelta,
) -> tuple[bool | None, float]:
    """(verdict, run minutes) for the "appliance finished" alert: True once the last burst is
    over (quiet for max_gap) and was a run (min_run); False while the device draws at or
    above the threshold; None otherwise (a short burst, still settling, nothing ran)."""
    last_power = samples[-1][1] if samples else None
    if last_power is not None and last_power >= threshold:
        return False, 0.0
    found = bursts(samples, threshold, max_gap)
    if not found or not found[-1].stopped or not is_over(found[-1], now, max_gap):
        return None, 0.0
    last = found[-1]
    return (True if last.end - last.start >= min_run else None), last.minutes
