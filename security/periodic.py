"""The security app's default beat row (admins may edit it; we only create it when missing)."""

from __future__ import annotations

PRUNE_TASK = "security.tasks.prune_audit_log"


def setup_periodic_tasks(**kwargs) -> None:
    """Create the daily audit-retention schedule once; admins may edit it afterwards."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.get_or_create(
        name="Prune audit log (AUDIT_RETENTION_DAYS)",
        defaults={"task": PRUNE_TASK, "crontab": crontab},
    )
