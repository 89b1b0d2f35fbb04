"""The insights app's periodic jobs, as django-celery-beat rows admins can edit."""

from __future__ import annotations

from django_celery_beat.models import IntervalSchedule, PeriodicTask

RECORD_CLOSED = "Check the closed billing period's projection"
DETECT_RUNS = "Detect appliance runs"
DETECT_EVERY = 15  # minutes: the safety net; each poll's readings are looked at after it
EVERY = 1  # hour: a period closes at local midnight; the pages only read, so the job keeps it


def setup_periodic_tasks(**kwargs) -> None:
    """Create the default schedule once; later edits in the admin are kept (post_migrate)."""
    every, _ = IntervalSchedule.objects.get_or_create(every=EVERY, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.get_or_create(
        name=RECORD_CLOSED,
        defaults={"task": "insights.tasks.record_closed_period", "interval": every},
    )
    often, _ = IntervalSchedule.objects.get_or_create(
        every=DETECT_EVERY, period=IntervalSchedule.MINUTES
    )
    PeriodicTask.objects.get_or_create(
        name=DETECT_RUNS, defaults={"task": "insights.tasks.detect_runs", "interval": often}
    )
