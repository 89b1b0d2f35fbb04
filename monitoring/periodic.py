"""Default periodic tasks and alert rules, created idempotently after migrate."""

from __future__ import annotations

import json

from django.conf import settings

from . import conf
from .models import AlertRule, Severity

TASK_PREFIX = "monitoring."


def setup_periodic_tasks(**kwargs) -> None:
    """get_or_create the beat rows; admins may edit them afterwards, so never overwrite."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    every = {
        "evaluate_rules": conf.get("rules_every_seconds"),
        "poll_cameras": conf.get("camera_poll_minutes") * 60,
        "check_hosts": conf.get("host_check_minutes") * 60,
        # A billing period closes at a local midnight: its report goes within the hour.
        "monthly_reports": 3600,
    }
    for name, seconds in every.items():
        if PeriodicTask.objects.filter(name=TASK_PREFIX + name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=seconds, period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.create(
            name=TASK_PREFIX + name, task=f"monitoring.tasks.{name}", interval=interval
        )
    if not PeriodicTask.objects.filter(name=TASK_PREFIX + "daily_summary").exists():
        hour, minute = conf.get("daily_summary_time").split(":")
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(int(minute)),
            hour=str(int(hour)),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(
            name=TASK_PREFIX + "daily_summary",
            task="monitoring.tasks.send_daily_summary",
            crontab=crontab,
            kwargs=json.dumps({}),
        )


DEFAULT_RULES = [
    ("Device offline", AlertRule.Kind.DEVICE_OFFLINE, Severity.HIGH),
    ("Camera unreachable", AlertRule.Kind.CAMERA_UNREACHABLE, Severity.HIGH),
    ("Host unreachable", AlertRule.Kind.HOST_UNREACHABLE, Severity.HIGH),
]


def ensure_default_rules(**kwargs) -> None:
    """Create the outage rules for all devices, cameras and hosts when no rule of that kind
    exists yet (disable them to silence; a deleted one comes back at the next migrate)."""
    for name, kind, severity in DEFAULT_RULES:
        if not AlertRule.objects.filter(kind=kind).exists():
            AlertRule.objects.create(name=name, kind=kind, severity=severity)
