"""What one run of an appliance costs: its stored runs priced by billing, the last runs'
averages, and the cheapest hour of tomorrow to start its typical run."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from billing import selectors as billing_selectors
from devices import selectors as device_selectors
from insights.models import ApplianceRun, ApplianceSettings
from insights.runs import MINUTE
from kasamonitor.ranges import household_zone
from kasamonitor.timestamps import iso_utc

SUMMARY_RUNS = 10
HOUR = timedelta(hours=1)


def runs_report(device, *, limit: int = 20, now: datetime | None = None) -> dict:
    """The device's latest runs (newest first) with their cost, and its summary."""
    now = now or timezone.now()
    settings = ApplianceSettings.objects.filter(device=device).first()
    latest = list(ApplianceRun.objects.filter(device=device).order_by("-start")[
        : max(limit, SUMMARY_RUNS)
    ])  # fmt: skip
    last = latest[:SUMMARY_RUNS]
    starts = tomorrow_hours(now) if last else []
    typical = typical_profile(last) if last else []
    # One call: billing reads the plans once for the runs and the typical run's starts.
    currency, priced = billing_selectors.run_costs(
        [(r.start, r.profile) for r in latest] + [(s, typical) for s in starts], MINUTE, now
    )
    priced, at_hours = priced[: len(latest)], [cost for _, cost in priced[len(latest) :]]
    grams = billing_selectors.co2_of_profiles([(r.start, r.profile) for r in latest], MINUTE)
    rows = [_row(run, c, cost, g) for run, (c, cost), g in zip(latest, priced, grams, strict=True)]
    return {
        "device": {"id": device.pk, "device_name": device.name, "device_ip": device.host},
        "settings": settings_out(settings),
        "currency": currency,
        "timezone": str(household_zone()),
        "runs": rows[:limit],
        "summary": _summary(
            last,
            priced[: len(last)],
            grams[: len(last)],
            currency,
            cheapest(starts, at_hours, currency),
        ),
    }


def settings_out(settings: ApplianceSettings | None) -> dict | None:
    if settings is None:
        return None
    return {
        "kind": settings.kind,
        "threshold_w": settings.threshold_w,
        "min_run_minutes": settings.min_run_minutes,
        "max_gap_minutes": settings.max_gap_minutes,
        "detected_until": iso_utc(settings.detected_until) if settings.detected_until else None,
    }


def _row(run: ApplianceRun, currency: str, cost: Decimal, grams: float) -> dict:
    return {
        "start": iso_utc(run.start),
        "end": iso_utc(run.end),
        "duration_minutes": round((run.end - run.start).total_seconds() / 60, 1),
        "kwh": round(run.kwh, 3),
        "cost": _money(cost, currency),
        "currency": currency,
        "co2_kg": round(grams / 1000, 3),
    }


def _summary(
    runs: list[ApplianceRun], priced: list, grams: list[float], currency: str, best: dict | None
) -> dict:
    if not runs:
        return {"runs": 0, "avg_kwh": None, "avg_cost": None, "avg_co2_kg": None, "cheapest": None}
    avg_kwh = sum(r.kwh for r in runs) / len(runs)
    avg_cost = sum((cost for _, cost in priced), Decimal(0)) / len(runs)
    return {
        "runs": len(runs),
        "avg_kwh": round(avg_kwh, 3),
        "avg_cost": _money(avg_cost, currency),
        "avg_co2_kg": round(sum(grams) / len(runs) / 1000, 3),
        "cheapest": best,
    }


def typical_profile(runs: list[ApplianceRun]) -> list[float]:
    """The mean of the runs' minute profiles (a shorter run counts 0 kWh past its end), so
    its energy is the runs' mean energy."""
    longest = max(len(r.profile) for r in runs)
    return [
        sum(r.profile[n] for r in runs if n < len(r.profile)) / len(runs) for n in range(longest)
    ]


def tomorrow_hours(now: datetime) -> list[datetime]:
    """The UTC starts of tomorrow's hours on the household's clock (23 or 25 when the
    clocks change)."""
    zone = household_zone()
    day = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return [start + n * HOUR for n in range(int((end - start) / HOUR))]


def cheapest(starts: list[datetime], costs: list[Decimal], currency: str) -> dict | None:
    """The typical run's cost at each start, the cheapest (earliest of equals) and dearest."""
    if not starts:
        return None
    zone = household_zone()
    best = min(range(len(starts)), key=lambda n: (costs[n], n))
    worst = max(range(len(starts)), key=lambda n: (costs[n], -n))
    return {
        "day": starts[0].astimezone(zone).date().isoformat(),
        "same_every_hour": costs[best] == costs[worst],
        "hour": starts[best].astimezone(zone).strftime("%H:%M"),
        "cost": _money(costs[best], currency),
        "dearest_hour": starts[worst].astimezone(zone).strftime("%H:%M"),
        "dearest_cost": _money(costs[worst], currency),
        "hours": [
            {
                "hour": s.astimezone(zone).strftime("%H:%M"),
                "start": iso_utc(s),
                "cost": _money(c, currency),
            }
            for s, c in zip(starts, costs, strict=True)
        ],  # fmt: skip
    }


def _money(value: Decimal, currency: str) -> float:
    return float(value.quantize(Decimal(1).scaleb(-billing_selectors.money_places(currency))))


def runs_between(start: datetime, end: datetime, *, now: datetime | None = None) -> dict:
    """Every stored run that started in [start, end), of every device, oldest first per
    device, priced and with its kg of CO2 as runs_report's rows (the export and the mails)."""
    currency, priced, names = _priced_between(start, end, now)
    rows = []
    for run, run_currency, cost, grams in priced:
        name, host = names.get(run.device_id, ("", None))
        rows.append(
            {"id": run.device_id, "device_name": name, "device_ip": host,
             **_row(run, run_currency, cost, grams)}
        )  # fmt: skip
    return {"currency": currency, "runs": rows}


def runs_by_device(start: datetime, end: datetime, *, now: datetime | None = None) -> dict:
    """Per device, the runs that started in [start, end): how many, and their kWh, cost and
    kg of CO2 (summed before rounding), dearest first."""
    currency, priced, names = _priced_between(start, end, now)
    sums: dict[int, list] = {}
    for run, run_currency, cost, grams in priced:
        total = sums.setdefault(run.device_id, [0, 0.0, Decimal(0), 0.0, run_currency])
        total[0] += 1
        total[1] += run.kwh
        total[2] += cost
        total[3] += grams
    devices = [
        {"id": pk, "device_name": names.get(pk, ("", None))[0], "runs": n,
         "kwh": round(kwh, 3), "cost": _money(cost, cur), "co2_kg": round(grams / 1000, 3)}
        for pk, (n, kwh, cost, grams, cur) in sums.items()
    ]  # fmt: skip
    return {"currency": currency, "start": iso_utc(start), "end": iso_utc(end),
            "devices": sorted(devices, key=lambda d: -d["cost"])}  # fmt: skip


def _priced_between(start: datetime, end: datetime, now: datetime | None):
    """(currency now, [(run, its currency, cost, grams)], {device pk: (name, host)})."""
    runs = list(
        ApplianceRun.objects.filter(start__gte=start, start__lt=end).order_by("device_id", "start")
    )
    names = {
        d.pk: (d.name, d.host)
        for d in device_selectors.device_list().filter(pk__in={r.device_id for r in runs})
    }
    profiles = [(r.start, r.profile) for r in runs]
    currency, priced = billing_selectors.run_costs(profiles, MINUTE, now or timezone.now())
    grams = billing_selectors.co2_of_profiles(profiles, MINUTE)
    rows = [(run, c, cost, g) for run, (c, cost), g in zip(runs, priced, grams, strict=True)]
    return currency, rows, names
