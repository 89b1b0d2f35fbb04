"""The devices app's periodic jobs, as django-celery-beat rows admins can edit."""

from __future__ import annotations

from django.conf import settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

POLL = "Poll devices"
REDISCOVER = "Re-discover known devices"
PRUNE = "Prune old readings"
REDISCOVER_EVERY = 600  # seconds


def _interval(seconds: int) -> IntervalSchedule:
    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    return schedule


def setup_periodic_tasks(**kwargs) -> None:
    """Create the default schedules once; later edits in the admin are kept (post_migrate)."""
    from system.selectors import system_config

    interval = system_config().polling_interval
    PeriodicTask.objects.get_or_create(
        name=POLL,
        defaults={
            "task": "devices.tasks.poll_devices",
            "interval": _interval(interval),
            "expire_seconds": interval,  # a backlog of polls is useless after a pause
        },
    )
    PeriodicTask.objects.get_or_create(
        name=REDISCOVER,
        defaults={
            "task": "devices.tasks.discover_devices",
            "interval": _interval(REDISCOVER_EVERY),
            "expire_seconds": REDISCOVER_EVERY,
        },
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone=settings.TIME_ZONE,
    )  # fmt: skip
    PeriodicTask.objects.get_or_create(
        name=PRUNE, defaults={"task": "devices.tasks.prune_readings", "crontab": nightly}
    )


def set_poll_interval(seconds: int) -> None:
    """Point the poll job at a new interval (beat's DatabaseScheduler sees the change)."""
    task = PeriodicTask.objects.filter(name=POLL).first()
    if task is None:
        setup_periodic_tasks()
        task = PeriodicTask.objects.get(name=POLL)
    task.interval = _interval(seconds)
    task.expire_seconds = seconds
    task.save()


def on_polling_interval_changed(sender, *, seconds: int, **kwargs) -> None:
    set_poll_interval(seconds)
