"""Celery tasks: each loads ids and calls one service."""

from __future__ import annotations

from celery import shared_task

from . import cameras, hosts, notify, reports, services, summary
from .senders import DeliveryFailed

# Network trouble and 5xx answers are worth retrying; a 4xx is not (DeliveryRejected).
RETRYABLE = (DeliveryFailed, OSError)
RETRY = {
    "autoretry_for": RETRYABLE,
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "ignore_result": True,
}


@shared_task(ignore_result=True)
def evaluate_rules() -> None:
    services.rules_evaluate_all()


@shared_task(ignore_result=True)
def poll_cameras() -> None:
    cameras.camera_poll_all()


@shared_task(ignore_result=True)
def check_hosts() -> None:
    hosts.host_check_all()


@shared_task(**RETRY)
def send_alert_notification(channel_id: int, alert_id: int, event: str = "raised") -> None:
    notify.notification_deliver(channel_id, alert_id, event)


@shared_task(**RETRY)
def send_summary_notification(channel_id: int) -> None:
    summary.summary_deliver(channel_id)


@shared_task(ignore_result=True)
def send_daily_summary() -> None:
    summary.daily_summary_send()


@shared_task(ignore_result=True)
def monthly_reports() -> None:
    reports.monthly_reports_queue()


@shared_task(**RETRY)
def send_monthly_report(report_id: int) -> None:
    reports.monthly_report_deliver(report_id)
