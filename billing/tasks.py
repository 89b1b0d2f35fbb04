"""Celery tasks: thin wrappers around the billing services."""

from __future__ import annotations

from celery import shared_task

from billing import services


@shared_task(ignore_result=True)
def price_pending() -> None:
    services.price_pending()
