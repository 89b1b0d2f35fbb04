"""Celery tasks: thin wrappers around the billing services."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from billing import services
from billing.models import RepriceRequest
from kasamonitor.jobs import run_heavy


@shared_task(bind=True, ignore_result=True)
def price_pending(self) -> None:
    if RepriceRequest.objects.exists():  # a plan changed: possibly years of hours to price
        run_heavy(self, services.price_pending)
    else:
        services.price_pending()


@shared_task(ignore_result=True)
def price_hours(device_ids: list[int], hours: list[str]) -> None:
    services.price_hours(device_ids, [datetime.fromisoformat(hour) for hour in hours])
