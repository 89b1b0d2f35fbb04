"""What the pages read, from the owning apps' selectors, plus page-only shaping."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts import selectors as account_selectors
from backups import selectors as backup_selectors
from billing import selectors as billing_selectors
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


def first_run_steps(can: dict) -> list[dict]:
    """The first-run checklist of what this user may do: add devices, save a rate plan and
    (admins) schedule backups; each with whether it is done. Empty when all are done."""
    steps = []
    if can.get("discover"):
        steps.append({"key": "devices", "done": device_selectors.device_count() > 0})
    if can.get("edit_rates"):
        steps.append({"key": "rates", "done": bool(billing_selectors.saved_plans())})
    if can.get("admin"):
        scheduled = any(s.enabled for s in backup_selectors.backup_schedules())
        steps.append({"key": "backups", "done": scheduled})
    return [] if all(step["done"] for step in steps) else steps


def rate_preview(plan: dict) -> list[dict]:
    """The rates page's preview: each hour's price on a weekday and a weekend day this week,
    with its share of the day's highest price (for the bars)."""
    today = timezone.now().astimezone(ZoneInfo(plan["timezone"])).date()
    week = billing_selectors.typical_week(plan, today)
    top = max([*week["weekday"], *week["weekend"]]) or 1
    return [
        {"hour": f"{hour:02d}:00", "weekday": _plain(week["weekday"][hour]),
         "weekend": _plain(week["weekend"][hour]),
         "weekday_pct": round(100 * week["weekday"][hour] / top), "weekend_pct": round(100 * week["weekend"][hour] / top)}
        for hour in range(24)
    ]  # fmt: skip


def _plain(value) -> str:
    return format(value.normalize(), "f")  # 0.0800 -> 0.08
