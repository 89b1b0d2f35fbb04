"""Time and energy for emulated devices: a shared clock and one metered relay per outlet.

An outlet draws its ``load_w`` while its relay is on and nothing while off. Energy is
integrated exactly (power x time, piecewise constant) whenever it is read or the power
changes, into the counters a smart plug reports: today's and this month's Wh and runtime,
reset at the device's local midnight and month start, and hourly buckets for history.
There is no lifetime counter, as on the real devices.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock:
    """Wall-clock time (epoch seconds) that tests can speed up or move forward."""

    def __init__(self, scale: float = 1.0) -> None:
        self._base = time.time()
        self._mono = time.monotonic()
        self.scale = scale

    def now(self) -> float:
        return self._base + (time.monotonic() - self._mono) * self.scale

    def advance(self, seconds: float) -> None:
        """Jump forward (energy accumulates over the jump as if that time had passed)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._base += seconds

    def set_scale(self, scale: float) -> None:
        """Simulated seconds per real second from now on."""
        self._base, self._mono = self.now(), time.monotonic()
        self.scale = scale


def device_timezone(region: str | None, time_diff_min: int | None) -> tzinfo:
    """The device's zone from its recorded region, else its fixed offset in minutes."""
    if region:
        try:
            return ZoneInfo(region)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    from datetime import timezone

    return timezone(timedelta(minutes=time_diff_min or 0))


class Outlet:
    """One relay with an energy meter (a plug, or one socket of a strip)."""

    def __init__(
        self,
        clock: Clock,
        tz: tzinfo,
        *,
        on: bool,
        load_w: float,
        voltage_v: float,
        today_wh: float = 0.0,
        month_wh: float = 0.0,
        today_runtime_min: float = 0.0,
        month_runtime_min: float = 0.0,
    ) -> None:
        self.clock = clock
        self.tz = tz
        now = clock.now()
        self._last = now
        self._day = self._local(now).date()
        self.on = on
        self.on_since = now if on else None
        self.load_w = float(load_w)
        self.voltage_v = float(voltage_v)
        self.today_wh = float(today_wh)
        self.month_wh = max(float(month_wh), self.today_wh)
        self.today_s = today_runtime_min * 60.0
        self.month_s = max(month_runtime_min * 60.0, self.today_s)
        self.hourly_wh: dict[int, float] = {}  # local hour start (epoch) -> Wh

    def _local(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, self.tz)

    @property
    def power_w(self) -> float:
        return self.load_w if self.on else 0.0

    def settle(self) -> float:
        """Integrate energy up to the clock's now; return now."""
        now = self.clock.now()
        t = self._last
        while t < now:
            local = self._local(t)
            hour_start = local.replace(minute=0, second=0, microsecond=0).timestamp()
            end = min(now, hour_start + 3600)
            self._roll_over(local.date())
            seconds = end - t
            if self.on:
                wh = self.load_w * seconds / 3600.0
                self.today_wh += wh
                self.month_wh += wh
                self.today_s += seconds
                self.month_s += seconds
                if wh:
                    key = int(hour_start)
                    self.hourly_wh[key] = self.hourly_wh.get(key, 0.0) + wh
            t = end
        self._last = max(self._last, now)
        self._roll_over(self._local(self._last).date())
        return now

    def _roll_over(self, day: date) -> None:
        if day == self._day:
            return
        if (day.year, day.month) != (self._day.year, self._day.month):
            self.month_wh = 0.0
            self.month_s = 0.0
        self.today_wh = 0.0
        self.today_s = 0.0
        self._day = day

    def set_on(self, on: bool) -> None:
        now = self.settle()
        if on and not self.on:
            self.on_since = now
        if not on:
            self.on_since = None
        self.on = on

    def set_load(self, watts: float) -> None:
        self.settle()
        self.load_w = float(watts)

    def set_counters(self, today_wh: float | None = None, month_wh: float | None = None) -> None:
        self.settle()
        if today_wh is not None:
            self.today_wh = float(today_wh)
        if month_wh is not None:
            self.month_wh = float(month_wh)
        self.month_wh = max(self.month_wh, self.today_wh)

    def on_time_s(self) -> int:
        if not self.on or self.on_since is None:
            return 0
        return int(self.clock.now() - self.on_since)

    def reading(self) -> dict[str, float]:
        """Settled values: power (W), voltage (V), current (A), today/month Wh and s."""
        self.settle()
        power = self.power_w
        return {
            "power_w": power,
            "voltage_v": self.voltage_v,
            "current_a": power / self.voltage_v if self.voltage_v else 0.0,
            "today_wh": self.today_wh,
            "month_wh": self.month_wh,
            "today_s": self.today_s,
            "month_s": self.month_s,
        }

    def energy_between(self, start: float, end: float) -> float:
        """Wh recorded in the hourly buckets whose hour starts in [start, end)."""
        self.settle()
        return sum(wh for hour, wh in self.hourly_wh.items() if start <= hour < end)


def local_time_text(t: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M:%S")


def utc_offset_min(t: float, tz: tzinfo) -> int:
    offset = datetime.fromtimestamp(t, UTC).astimezone(tz).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0
