"""Celery tasks: thin wrappers around the insights services."""

from __future__ import annotations

from celery import shared_task

from insights import services


@shared_task(ignore_result=True)
def record_closed_period() -> None:
    services.record_closed_period()


@shared_task(ignore_result=True)
def detect_runs(device_ids: list[int] | None = None) -> None:
    services.appliance_runs_detect(device_ids)
