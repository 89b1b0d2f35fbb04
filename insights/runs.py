"""Appliance runs: detected from a device's readings, stored, and what each costs.

Detection is devices/runs.py's (the "appliance finished" alert's too), with the device's
settings (ApplianceSettings: a kind's preset, overridable). Runs are found by the worker
after each poll (devices.signals.rollups_updated) and by a periodic job, incrementally:
each device keeps `detected_until`, the moment from which its readings are still to be
looked at (the start of a run that may still go on, else just after the last reading).
So a request reads only stored runs, never the raw readings.

A run's energy is the sum of its readings' energy_delta_kwh after its start up to its
end: the device's counter difference, as the rollups count it (devices/ingest.py). Its
profile is that energy per minute from the start (each reading's energy spread evenly
over the time since the reading before, as billing spreads an interval's energy);
billing prices a run from its profile (billing.selectors.run_costs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from devices import selectors as device_selectors
from devices.selectors import appliance_runs as detection
from insights.models import ApplianceKind, ApplianceRun, ApplianceSettings

MINUTE = timedelta(minutes=1)
LONGEST = timedelta(hours=24)  # a burst this long is cut: nothing runs a whole day
LOOK_BACK = timedelta(days=365)  # a device's first detection reads back this far
CHUNK = timedelta(days=7)  # readings are read a week at a time


@dataclass(frozen=True)
class Preset:
    threshold_w: float
    min_run_minutes: int
    max_gap_minutes: int


# Why these: a washer and a dishwasher idle at 1-5 W between cycles and pause their
# motors/heaters for minutes (soaking, drying); a kettle draws 1.5-3 kW for 1-5 minutes;
# a dryer tumbles at 100-300 W with short pauses between heating spells.
PRESETS = {
    ApplianceKind.WASHER: Preset(10.0, 20, 10),
    ApplianceKind.DISHWASHER: Preset(10.0, 30, 20),
    ApplianceKind.KETTLE: Preset(1000.0, 1, 2),
    ApplianceKind.DRYER: Preset(100.0, 15, 5),
    ApplianceKind.CUSTOM: Preset(10.0, 5, 5),
}


FIGURES = ("threshold_w", "min_run_minutes", "max_gap_minutes")


def settings_save(device, data: dict) -> ApplianceSettings:
    """Create or change a device's run settings (figures not given come from the kind's
    preset); a change forgets its runs and looks for them again from its readings."""
    settings = ApplianceSettings.objects.filter(device=device).first()
    kind = data.get("kind") or (settings.kind if settings else ApplianceKind.CUSTOM)
    keep = settings is not None and settings.kind == kind  # a new kind brings its preset
    values = {"kind": kind}
    for name in FIGURES:
        fallback = getattr(settings, name) if keep else getattr(PRESETS[kind], name)
        values[name] = data[name] if data.get(name) is not None else fallback
    with transaction.atomic():
        settings, created = ApplianceSettings.objects.select_for_update().get_or_create(
            device=device, defaults=values
        )
        changed = created or any(getattr(settings, k) != v for k, v in values.items())
        if changed:
            for name, value in values.items():
                setattr(settings, name, value)
            settings.detected_until = None
            settings.save()
            ApplianceRun.objects.filter(device=device).delete()
            transaction.on_commit(lambda: _queue_detection([device.pk]))
    return settings


def settings_remove(device) -> None:
    """Stop detecting the device's runs and forget them."""
    with transaction.atomic():
        ApplianceSettings.objects.filter(device=device).delete()
        ApplianceRun.objects.filter(device=device).delete()


def _queue_detection(device_ids: list[int]) -> None:
    from insights import tasks
    from kasamonitor import queueing

    queueing.send(tasks.detect_runs, device_ids)


def detect(device_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Look for new runs of these devices (all with settings by default); return how many
    were stored."""
    now = now or timezone.now()
    chosen = ApplianceSettings.objects.all()
    if device_ids is not None:
        chosen = chosen.filter(device_id__in=device_ids)
    return sum(detect_device(settings.pk, now) for settings in chosen)


def detect_device(settings_id: int, now: datetime) -> int:
    """Detect one device's runs from its watermark to now, a week of readings at a time."""
    stored = 0
    while True:
        with transaction.atomic():
            settings = ApplianceSettings.objects.select_for_update().filter(pk=settings_id)
            settings = settings.first()
            if settings is None:
                return stored
            since = settings.detected_until or now - LOOK_BACK
            until = min(now, since + CHUNK)
            found, settings.detected_until = _detect_between(settings, since, until, now)
            ApplianceRun.objects.bulk_create(found, ignore_conflicts=True)
            settings.save(update_fields=["detected_until"])
            stored += len(found)
        if until >= now or settings.detected_until <= since:
            return stored


def _detect_between(settings: ApplianceSettings, since: datetime, until: datetime, now):
    """(runs over by `now` among the readings in [since, until), the next watermark)."""
    rows = list(
        device_selectors.readings_in(start=since, end=until)
        .filter(device_id=settings.device_id)
        .order_by("timestamp")
        .values_list("timestamp", "power_w", "energy_delta_kwh")
    )
    if not rows:
        return [], until if until < now else since
    max_gap = timedelta(minutes=settings.max_gap_minutes)
    min_run = timedelta(minutes=settings.min_run_minutes)
    samples = [(ts, power) for ts, power, _ in rows]
    bursts = detection.bursts(samples, settings.threshold_w, max_gap, LONGEST)
    # A burst that could still go on is looked at again next time, from its start; one
    # that touches the chunk's end too (unless the chunk ends now).
    going_on = [b for b in bursts if not detection.is_over(b, min(now, until), max_gap)]
    found = [
        _run(settings.device_id, b, rows)
        for b in bursts
        if b not in going_on and b.end - b.start >= min_run
    ]
    if going_on:
        return found, going_on[0].start
    return found, rows[-1][0] + timedelta(microseconds=1)


def _run(device_id: int, burst, rows) -> ApplianceRun:
    inside = list(_intervals(rows, burst.start, burst.end))
    kwh = sum(energy for _, _, energy in inside)
    return ApplianceRun(
        device_id=device_id, start=burst.start, end=burst.end, kwh=kwh,
        profile=minute_profile(burst.start, burst.end, inside),
    )  # fmt: skip


def _intervals(rows, start: datetime, end: datetime) -> Iterator[tuple]:
    """(from, to, kWh) of each reading after `start` up to `end`: its energy since the one
    before."""
    before = None
    for ts, _, energy in rows:
        if before is not None and start < ts <= end:
            yield before, ts, max(energy or 0.0, 0.0)
        before = ts


def minute_profile(start: datetime, end: datetime, intervals) -> list[float]:
    """kWh of each minute from start to end, each interval's energy spread evenly over it."""
    minutes = max(1, -(-int((end - start).total_seconds()) // 60))
    profile = [0.0] * minutes
    for low, high, kwh in intervals:
        seconds = (high - low).total_seconds()
        cursor = low
        while cursor < high:
            n = int((cursor - start).total_seconds() // 60)
            stop = min(high, start + (n + 1) * MINUTE)
            profile[min(n, minutes - 1)] += kwh * (stop - cursor).total_seconds() / seconds
            cursor = stop
    return [round(k, 9) for k in profile]
