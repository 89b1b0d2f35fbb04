"""Read-only queries the pages need that no other app's selectors answer (yet).

Each one is a plain ORM read; writes always go through the owning app's API or services.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Q, Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import LoginSession, User
from backups.models import BackupSchedule
from devices.models import DailyRollup, Device


def dashboard_devices(*, today: date | None = None) -> list[dict]:
    """Return the top-level devices with today's and this month's kWh and cost (local days);
    a strip's card holds its outlets' cards under "outlets".

    A strip's figures are the sums of its outlets', as devices.selectors.energy_device_ids
    defines them; one aggregate query serves the whole page.
    """
    today = today or timezone.localdate()
    totals = _month_totals(today)
    devices = list(Device.objects.select_related("parent").order_by("alias", "id"))
    cards = {d.pk: {"device": d, "outlets": []} for d in devices}
    for device in devices:
        if device.parent_id in cards:
            cards[device.parent_id]["outlets"].append(cards[device.pk])
            _add_into(totals[device.parent_id], totals[device.pk])
    for card in cards.values():
        card.update(_rounded(totals[card["device"].pk]))
        card["outlets"].sort(key=lambda c: (c["device"].child_id or "", c["device"].pk))
    return [c for c in cards.values() if c["device"].parent_id not in cards]


def _month_totals(today: date) -> defaultdict:
    is_today = Q(day=today)
    rows = (
        DailyRollup.objects.filter(day__gte=today.replace(day=1), day__lte=today)
        .values("device_id")
        .annotate(
            month_kwh=Sum("energy_kwh"),
            month_cost=Sum("cost"),
            today_kwh=Sum("energy_kwh", filter=is_today),
            today_cost=Sum("cost", filter=is_today),
        )
    )
    totals: defaultdict = defaultdict(dict)
    for row in rows:
        totals[row.pop("device_id")] = row
    return totals


def _add_into(target: dict, extra: dict) -> None:
    for key, value in extra.items():
        if value is not None:
            target[key] = (target.get(key) or 0) + value


def _rounded(row: dict) -> dict:
    keys = ("today_kwh", "today_cost", "month_kwh", "month_cost")
    return {k: (float(row[k]) if row.get(k) is not None else None) for k in keys}


def user_list() -> list[User]:
    return list(User.objects.order_by("username"))


def two_factor_user_ids() -> set[int]:
    return set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))


def session_list(user: User) -> list[LoginSession]:
    return list(LoginSession.objects.active().filter(user=user).order_by("-last_activity"))


def backup_schedules() -> list[BackupSchedule]:
    return list(BackupSchedule.objects.order_by("name", "id"))


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
    from billing.selectors import saved_plans

    steps = []
    if can.get("discover"):
        steps.append({"key": "devices", "done": Device.objects.exists()})
    if can.get("edit_rates"):
        steps.append({"key": "rates", "done": bool(saved_plans())})
    if can.get("admin"):
        steps.append(
            {"key": "backups", "done": BackupSchedule.objects.filter(enabled=True).exists()}
        )
    return [] if all(step["done"] for step in steps) else steps


def rate_preview(plan: dict) -> list[dict]:
    """The rates page's preview: each hour's price on a weekday and a weekend day this week,
    with its share of the day's highest price (for the bars)."""
    from zoneinfo import ZoneInfo

    from billing.preview import typical_week

    today = timezone.now().astimezone(ZoneInfo(plan["timezone"])).date()
    week = typical_week(plan, today)
    top = max([*week["weekday"], *week["weekend"]]) or 1
    return [
        {"hour": f"{hour:02d}:00", "weekday": _plain(week["weekday"][hour]),
         "weekend": _plain(week["weekend"][hour]),
         "weekday_pct": round(100 * week["weekday"][hour] / top), "weekend_pct": round(100 * week["weekend"][hour] / top)}
        for hour in range(24)
    ]  # fmt: skip


def _plain(value) -> str:
    return format(value.normalize(), "f")  # 0.0800 -> 0.08
