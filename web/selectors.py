"""What the pages read, from the owning apps' selectors, plus page-only shaping."""

from __future__ import annotations

from datetime import date

from accounts import selectors as account_selectors
from backups import selectors as backup_selectors
from devices import selectors as device_selectors


def dashboard_devices(*, today: date | None = None) -> list[dict]:
    return device_selectors.dashboard_devices(today=today)


def user_list() -> list:
    return list(account_selectors.user_list())


def two_factor_user_ids() -> set[int]:
    return account_selectors.two_factor_user_ids()


def session_list(user) -> list:
    return account_selectors.session_list(user)


def backup_schedules() -> list:
    return backup_selectors.backup_schedules()


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def rate_fallback(plan: dict) -> dict | None:
    """Describe the hours a time-of-use plan (billing's API shape) prices at its fallback
    rate, for the rates page; None when every hour has a period."""
    gaps = plan.get("uncovered_hours") or []
    if not gaps:
        return None
    return {
        "rate": gaps[0]["rate"],
        "source": "the first period's price"
        if plan["default_rate"] is None
        else "the price for other hours",
        "hours": [
            {
                "start": _clock(gap["start_hour"]),
                "end": _clock(gap["end_hour"]),
                "days": "every day"
                if len(gap["days_of_week"]) == 7
                else "on " + ", ".join(_DAY_NAMES[d] for d in gap["days_of_week"]),
            }
            for gap in gaps
        ],
    }


def _clock(hour: int | str) -> str:
    return f"{hour:02d}:00" if isinstance(hour, int) else hour
