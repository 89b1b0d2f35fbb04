"""The billing app's periodic job, as a django-celery-beat row admins can edit."""

from __future__ import annotations

from django_celery_beat.models import IntervalSchedule, PeriodicTask

PRICE_PENDING = "Price changed hours"
EVERY = 60  # seconds


def setup_periodic_tasks(**kwargs) -> None:
    """Create the default schedule once; later edits in the admin are kept (post_migrate)."""
    every, _ = IntervalSchedule.objects.get_or_create(every=EVERY, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.get_or_create(
        name=PRICE_PENDING,
        defaults={
            "task": "billing.tasks.price_pending",
            "interval": every,
            "expire_seconds": EVERY,  # the next run does the same work
        },
    )
