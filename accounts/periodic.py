"""The accounts app's default beat row: the nightly cleanup (cleanup.py) of what expired."""

from __future__ import annotations

from django.conf import settings
from django_celery_beat.models import CrontabSchedule, PeriodicTask

CLEANUP = "Remove expired sessions and tokens"


def setup_periodic_tasks(**kwargs) -> None:
    """Create the nightly cleanup schedule once; admins may edit it later (post_migrate)."""
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="4", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone=settings.TIME_ZONE,
    )  # fmt: skip
    PeriodicTask.objects.get_or_create(
        name=CLEANUP, defaults={"task": "accounts.tasks.prune_expired", "crontab": nightly}
    )
