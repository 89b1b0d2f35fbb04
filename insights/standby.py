"""Standby: the power each device draws while nobody uses it, and what that costs a year.

A device's standby power is the 10th percentile (nearest rank) of its hourly mean power
over the night hours of the last 7 nights. Nights are 00:00 to 05:00 on the household's
clock (settings.TIME_ZONE): the hours whose local start falls in 00:00-04:59, so five
hours a night, four on the night the clocks go forward and six when they go back. The hourly
mean power is the devices app's hourly rollup (power_sum_w / samples), so a year of
1-minute readings is never read: at most 35 rollup rows per device. An hour without
readings has no rollup (or no samples) and is left out, so gaps in polling neither pull
the figure down nor count as nights.

Why the 10th percentile of hourly means: the hourly mean already smooths the seconds-long
spikes of a fridge's compressor or a charger's top-up; the low percentile then keeps what
the device draws in its quietest hours while ignoring its very lowest few (with 35 hours,
the 4th lowest): a device unplugged for an hour, or a poll that read 0 W, does not make a
TV look as if it drew nothing. The minimum would be that fragile; a median would count a
late film as standby.

The yearly cost prices the household's standby power without a break over the next 365
days under the plan in force (billing.selectors.steady_power_yearly_cost): every
time-of-use hour at its own price, seasons and tax included. A device's share of it is
its share of the household's standby watts. So is the yearly kg of CO2: the standby watts
over every hour of the year at the grid's intensity of its local month and hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, FloatField, IntegerField, Value, Window
from django.db.models.functions import Cast, Ceil, Greatest, RowNumber
from django.utils import timezone

from billing import selectors as billing_selectors
from devices import selectors as device_selectors
from kasamonitor.ranges import household_zone
from kasamonitor.timestamps import iso_utc

HOUR = timedelta(hours=1)
NIGHT_START, NIGHT_END = 0, 5  # local hours: 00:00 up to 05:00
PERCENTILE = 10
DEFAULT_NIGHTS = 7
MIN_HOURS = 3  # fewer measured night hours than this: no figure for the device
YEAR_DAYS = 365


@dataclass(frozen=True)
class DeviceStandby:
    device_id: int
    watts: float
    hours: int  # night hours measured


def night_hours(now: datetime, nights: int, zone: ZoneInfo) -> list[datetime]:
    """The UTC starts of the night hours of the last `nights` nights that have ended."""
    local = now.astimezone(zone)
    last = local.date() if local.hour >= NIGHT_END else local.date() - timedelta(days=1)
    hours = []
    for n in range(nights):
        hours += _hours_of_night(last - timedelta(days=n), zone)
    return sorted(hours)


def _hours_of_night(day: date, zone: ZoneInfo) -> list[datetime]:
    low = datetime.combine(day, time(0), zone).astimezone(UTC) - 2 * HOUR
    low = low.replace(minute=0, second=0, microsecond=0)
    found = []
    for n in range(12):
        hour = low + n * HOUR
        local = hour.astimezone(zone)
        if local.date() == day and NIGHT_START <= local.hour < NIGHT_END:
            found.append(hour)
    return found


def device_standby(hours: list[datetime]) -> list[DeviceStandby]:
    """Each device's standby power: the PERCENTILE-th percentile (nearest rank) of its hourly
    mean power in these hours, worked out in SQL with window functions (both databases)."""
    if not hours:
        return []
    mean = Cast(F("power_sum_w"), FloatField()) / F("samples")
    ranked = (
        device_selectors.hourly_in(start=hours[0], end=hours[-1] + HOUR)
        .filter(hour__in=hours, samples__gt=0)
        .annotate(
            mean_w=mean,
            rank=Window(RowNumber(), partition_by=[F("device_id")], order_by=mean.asc()),
            measured=Window(Count("id"), partition_by=[F("device_id")]),
        )
        .values_list("device_id", "mean_w", "rank", "measured")
    )
    chosen = ranked.filter(
        measured__gte=MIN_HOURS,
        rank=Greatest(
            Value(1), Ceil(F("measured") * PERCENTILE / 100.0), output_field=IntegerField()
        ),
    )
    return [
        DeviceStandby(device_id, max(watts, 0.0), measured)
        for device_id, watts, _, measured in chosen
    ]


def standby_report(*, nights: int = DEFAULT_NIGHTS, now: datetime | None = None) -> dict:
    """The standby power of every device and the household, and what it costs a year."""
    now = now or timezone.now()
    zone = household_zone()
    hours = night_hours(now, nights, zone)
    found = sorted(device_standby(hours), key=lambda d: (-d.watts, d.device_id))
    names = {
        d.pk: d for d in device_selectors.device_list().filter(pk__in=[f.device_id for f in found])
    }
    total_w = sum((Decimal(repr(d.watts)) for d in found), Decimal(0))
    start = datetime.combine(now.astimezone(zone).date(), time(0), zone).astimezone(UTC)
    end = datetime.combine(
        now.astimezone(zone).date() + timedelta(days=YEAR_DAYS), time(0), zone
    ).astimezone(UTC)
    currency, kwh, cost = billing_selectors.steady_power_yearly_cost(total_w, start, end)
    co2_kg = billing_selectors.steady_power_co2_g(float(total_w), start, end) / 1000
    devices = []
    for row in found:
        share = Decimal(repr(row.watts)) / total_w if total_w else Decimal(0)
        device = names.get(row.device_id)
        devices.append(
            {
                "id": row.device_id,
                "device_ip": device.host if device else None,
                "device_name": device.name if device else str(row.device_id),
                "standby_w": round(row.watts, 1),
                "night_hours": row.hours,
                "yearly_kwh": round(float(kwh * share), 1),
                "yearly_cost": _money(cost * share, currency),
                "yearly_co2_kg": round(co2_kg * float(share), 1),
            }
        )
    local_hours = [h.astimezone(zone) for h in hours]
    return {
        "timezone": str(zone),
        "nights": nights,
        "night_hours": f"{NIGHT_START:02d}:00-{NIGHT_END:02d}:00",
        "percentile": PERCENTILE,
        "start": iso_utc(hours[0]) if hours else None,
        "end": iso_utc(hours[-1] + HOUR) if hours else None,
        "first_night": local_hours[0].date().isoformat() if hours else None,
        "last_night": local_hours[-1].date().isoformat() if hours else None,
        "currency": currency,
        "year_start": start.astimezone(zone).date().isoformat(),
        "household": {
            "standby_w": round(float(total_w), 1),
            "yearly_kwh": round(float(kwh), 1),
            "yearly_cost": _money(cost, currency),
            "yearly_co2_kg": round(co2_kg, 1),
        },
        "devices": devices,
    }


def _money(value: Decimal, currency: str) -> float:
    return float(value.quantize(Decimal(1).scaleb(-billing_selectors.money_places(currency))))
