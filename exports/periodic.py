"""The exports app's default beat schedules (admins may edit them; we only create missing ones)."""

from __future__ import annotations

from . import conf

PERIODIC = [
    # (name, task, cron minute hour day_of_month month_of_year day_of_week)
    (
        "exports: delete expired exports",
        "exports.tasks.cleanup_expired_exports",
        conf.CLEANUP_SCHEDULE,
    ),
    ("exports: fail exports whose worker died", "exports.tasks.fail_stale_exports", "*/5 * * * *"),
    ("exports: run scheduled exports", "exports.tasks.run_export_schedules", "* * * * *"),
]


def setup_periodic_tasks(**kwargs) -> None:
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, task, cron in PERIODIC:
        minute, hour, dom, month, dow = cron.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow,
            timezone=settings.TIME_ZONE,
        )  # fmt: skip
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})
