"""Celery tasks: thin wrappers around the billing services."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from billing import services
from kasamonitor.jobs import run_heavy


@shared_task(bind=True, ignore_result=True)
def price_pending(self) -> None:
    if services.reprice_requested():  # years of hours, perhaps: in a process of its own
        run_heavy(self, services.price_pending)
    else:
        services.price_pending()


@shared_task(ignore_result=True)
def price_hours(device_ids: list[int], hours: list[str]) -> None:
    services.price_hours(device_ids, [datetime.fromisoformat(hour) for hour in hours])
