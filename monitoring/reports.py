"""The monthly report: when a billing period closes, its figures go once to every channel
with monthly_report on (the parts are insights.digest.MONTHLY)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from insights import digest
from insights import services as insights_services

from . import conf, notify
from .models import MonthlyReport, NotificationChannel

logger = logging.getLogger(__name__)


def monthly_reports_queue(now: datetime | None = None) -> int:
    """Queue the last closed billing period's report for each opted-in channel that has not
    had it; return how many were queued. Nothing before a period closes, nothing for a
    period without readings, nothing later than monthly_report_within_days after it."""
    now = now or timezone.now()
    insights_services.record_closed_period(now)  # idempotent: the check may be kept already
    check = digest.closed_period_check(now)
    if check is None or now - check.period_end > timedelta(
        days=conf.get("monthly_report_within_days")
    ):
        return 0
    queued = 0
    for channel in NotificationChannel.objects.filter(enabled=True, monthly_report=True):
        # The unique row is the claim: of two workers racing, one creates it and sends.
        report, created = MonthlyReport.objects.get_or_create(
            channel=channel, period_start=check.period_start,
            defaults={"first_day": check.first_day, "last_day": check.last_day},
        )  # fmt: skip
        if created:
            from .tasks import send_monthly_report

            transaction.on_commit(partial(send_monthly_report.delay, report.pk))
            queued += 1
    return queued


def monthly_report(check, now: datetime | None = None) -> tuple[str, str, dict]:
    """(subject, text, webhook payload) of a closed period's report."""
    ctx = digest.Context(now=now or timezone.now(), closed=check)
    figures, lines = digest.compose(digest.MONTHLY, ctx)
    subject = f"Kasa Monitor: your bill for {check.first_day} to {check.last_day}"
    payload = {"event": "monthly_report", "report": figures}
    return subject, "\n".join([subject, "", *lines]), payload


def monthly_report_deliver(report_id: int) -> bool:
    """Send one claimed report; False when it went already or its channel has gone."""
    report = MonthlyReport.objects.select_related("channel").filter(pk=report_id).first()
    if report is None or report.sent_at is not None or not report.channel.enabled:
        return False
    check = digest.period_check(report.period_start)
    if check is None:
        return False
    subject, text, payload = monthly_report(check)
    notify.deliver(report.channel, subject=subject, text=text, payload=payload)
    MonthlyReport.objects.filter(pk=report.pk).update(sent_at=timezone.now())
    return True
