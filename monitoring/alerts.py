"""Writes to alerts: open/resolve by key (rules), manual alerts, acknowledge, delete."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kasamonitor.errors import ApiError
from security.services import audit_record

from . import notify
from .models import Alert, AlertRule, Camera, NetworkHost, Severity

logger = logging.getLogger(__name__)


class SubjectConflict(ApiError):
    error_code = "ALERT_SUBJECT_CONFLICT"
    message = "An alert concerns at most one of device_id, camera_id and host_id."


def alert_key(rule: AlertRule, subject=None) -> str:
    """Return the dedup key: one open alert per rule and subject (None: the household)."""
    if subject is None:
        return f"rule:{rule.pk}:all"
    return f"rule:{rule.pk}:{subject._meta.model_name}:{subject.pk}"


def _subject_fields(subject) -> dict[str, Any]:
    if isinstance(subject, Camera):
        return {"camera": subject}
    if isinstance(subject, NetworkHost):
        return {"host": subject}
    return {"device": subject} if subject is not None else {}


def alert_open(rule: AlertRule, subject, message: str, details: dict | None = None):
    """Open the rule's alert for subject unless one is open already; return it or None."""
    key = alert_key(rule, subject)
    if Alert.objects.filter(key=key, resolved_at__isnull=True).exists():
        return None
    try:
        # A savepoint, so losing the race to another evaluator leaves the caller's
        # transaction usable.
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                key=key,
                severity=rule.severity,
                message=message[:255],
                details=details or {},
                **_subject_fields(subject),
            )
    except IntegrityError:
        return None
    notify.notify_alert(alert, "raised")
    return alert


def alert_resolve(rule: AlertRule, subject, *, resolution: str = "") -> int:
    """Resolve the rule's open alert for subject (if any); return how many were resolved."""
    open_alerts = list(Alert.objects.filter(key=alert_key(rule, subject), resolved_at__isnull=True))
    now = timezone.now()
    for alert in open_alerts:
        alert.resolved_at = now
        if resolution:
            alert.details = {**alert.details, "resolution": resolution[:255]}
        alert.save(update_fields=["resolved_at", "details"])
        notify.notify_alert(alert, "resolved")
    return len(open_alerts)


def alert_create_manual(*, actor, severity: str, message: str, subjects: dict) -> Alert:
    """Create a manual alert (no rule, no key) for at most one device, camera or host."""
    subjects = {name: value for name, value in subjects.items() if value is not None}
    if len(subjects) > 1:
        raise SubjectConflict()
    alert = Alert.objects.create(
        severity=severity, message=message[:255], created_by=actor, **subjects
    )
    audit_record("alert.create", actor=actor, target=alert, details={"severity": severity})
    notify.notify_alert(alert, "raised")
    return alert


def alert_acknowledge(alert: Alert, *, actor) -> Alert:
    """Mark one alert acknowledged (again acknowledging changes nothing)."""
    if not alert.acknowledged:
        alert.acknowledged, alert.acknowledged_at = True, timezone.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged", "acknowledged_at", "acknowledged_by"])
        audit_record("alert.acknowledge", actor=actor, target=alert)
    return alert


def alert_acknowledge_all(*, actor, severity: str | None = None) -> int:
    """Acknowledge every unacknowledged alert (of one severity when given); return the count."""
    pending = Alert.objects.filter(acknowledged=False)
    if severity:
        pending = pending.filter(severity=severity)
    count = pending.update(acknowledged=True, acknowledged_at=timezone.now(), acknowledged_by=actor)
    audit_record(
        "alert.acknowledge_all",
        actor=actor,
        target_type="monitoring.alert",
        details={"severity": severity or "all", "count": count},
    )
    return count


def alert_delete(alert: Alert, *, actor) -> None:
    """Delete an alert; an open rule alert deleted this way is raised again if still true."""
    audit_record(
        "alert.delete",
        actor=actor,
        target=alert,
        severity="warning",
        details={"message": alert.message},
    )
    alert.delete()


SEVERITIES = [choice for choice, _ in Severity.choices]
