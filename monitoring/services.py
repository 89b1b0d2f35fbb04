"""Public entry points of the monitoring app (the devices app calls the first two)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from security.services import audit_record

from . import rules
from .models import Alert, AlertRule, NotificationChannel

logger = logging.getLogger(__name__)

RULE_FIELDS = (
    "name", "kind", "device", "camera", "host", "threshold", "threshold_high",
    "duration_minutes", "settle_minutes", "period", "severity", "enabled",
)  # fmt: skip
CHANNEL_FIELDS = (
    "name", "kind", "target", "min_severity", "enabled", "notify_resolved", "daily_summary",
    "monthly_report",
)  # fmt: skip


def device_status_changed(device, old_status: str, new_status: str) -> dict:
    """Open or resolve device-offline alerts after a device went offline or came back."""
    if old_status == new_status:
        return {"opened": 0, "resolved": 0}
    return rules.evaluate(kinds=rules.DEVICE_KINDS, device_ids=[device.pk])


def evaluate_power_rules(device_ids) -> dict:
    """Evaluate power, appliance, standby and budget rules after new readings for devices."""
    kinds = rules.POWER_KINDS | rules.BUDGET_KINDS
    return rules.evaluate(kinds=kinds, device_ids=list(device_ids))


def rules_evaluate_all() -> dict:
    """Evaluate every enabled rule (the once-a-minute safety net)."""
    return rules.evaluate()


def rule_save(rule: AlertRule, *, actor, data: dict) -> AlertRule:
    """Create or change a rule; disabling it resolves the alerts it holds open."""
    created = rule.pk is None
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    if created:
        rule.created_by = actor
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        if not rule.enabled:
            _resolve_all(rule, "rule disabled")
        action = "alert_rule.create" if created else "alert_rule.update"
        audit_record(action, actor=actor, target=rule, details={"fields": sorted(data)})
    return rule


def rule_delete(rule: AlertRule, *, actor) -> None:
    """Delete a rule, resolving its open alerts first (they keep their history)."""
    with transaction.atomic():
        _resolve_all(rule, "rule deleted")
        audit_record("alert_rule.delete", actor=actor, target=rule, severity="warning")
        rule.delete()


def _resolve_all(rule: AlertRule, why: str) -> None:
    open_alerts = Alert.objects.filter(rule=rule, resolved_at__isnull=True)
    open_alerts.update(resolved_at=timezone.now())
    logger.info("resolved open alerts of rule %s: %s", rule.pk, why)


def channel_save(channel: NotificationChannel, *, actor, data: dict) -> NotificationChannel:
    """Create or change a notification channel."""
    created = channel.pk is None
    for name in CHANNEL_FIELDS:
        if name in data:
            setattr(channel, name, data[name])
    channel.full_clean()
    channel.save()
    action = "notification_channel.create" if created else "notification_channel.update"
    audit_record(action, actor=actor, target=channel, details={"fields": sorted(data)})
    return channel


def channel_delete(channel: NotificationChannel, *, actor) -> None:
    audit_record("notification_channel.delete", actor=actor, target=channel, severity="warning")
    channel.delete()
