"""The insights app's periodic job, as a django-celery-beat row admins can edit."""

from __future__ import annotations

from django_celery_beat.models import IntervalSchedule, PeriodicTask

RECORD_CLOSED = "Check the closed billing period's projection"
EVERY = 1  # hour: a period closes at local midnight; the pages only read, so the job keeps it


def setup_periodic_tasks(**kwargs) -> None:
    """Create the default schedule once; later edits in the admin are kept (post_migrate)."""
    every, _ = IntervalSchedule.objects.get_or_create(every=EVERY, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.get_or_create(
        name=RECORD_CLOSED,
        defaults={"task": "insights.tasks.record_closed_period", "interval": every},
    )
