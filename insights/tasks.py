"""Celery tasks: thin wrappers around the insights services."""

from __future__ import annotations

from celery import shared_task

from insights import services


@shared_task(ignore_result=True)
def record_closed_period() -> None:
    services.record_closed_period()
