"""Reads of the monitoring app: alert lists and summaries, status counts, lookups."""

from __future__ import annotations

from django.db.models import Count, Q

from kasamonitor.drf import page_of
from kasamonitor.errors import NotFound

from . import conf
from .models import Alert, AlertRule, Camera, NetworkHost, NotificationChannel, Severity


def _get(queryset, pk: int, what: str):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{what} {pk} not found.")
    return obj


def alert_get(pk: int) -> Alert:
    return _get(Alert.objects.select_related("device", "camera", "host", "rule"), pk, "Alert")


def rule_get(pk: int) -> AlertRule:
    return _get(AlertRule.objects, pk, "Alert rule")


def camera_get(pk: int) -> Camera:
    return _get(Camera.objects, pk, "Camera")


def host_get(pk: int) -> NetworkHost:
    return _get(NetworkHost.objects, pk, "Host")


def channel_get(pk: int) -> NotificationChannel:
    return _get(NotificationChannel.objects, pk, "Notification channel")


def alert_list(*, page: int = 1, per_page: int = 50, **filters) -> tuple[list[Alert], dict]:
    """Return one page of alerts (newest first) and the spec's pagination block."""
    alerts = Alert.objects.select_related("device", "camera", "host", "rule", "acknowledged_by")
    lookups = {
        "severity": "severity",
        "acknowledged": "acknowledged",
        "device_id": "device_id",
        "camera_id": "camera_id",
        "host_id": "host_id",
        "rule_id": "rule_id",
    }
    for name, lookup in lookups.items():
        if filters.get(name) is not None:
            alerts = alerts.filter(**{lookup: filters[name]})
    if filters.get("resolved") is not None:
        alerts = alerts.filter(resolved_at__isnull=not filters["resolved"])
    return page_of(alerts, page=page, per_page=per_page)


def alert_summary() -> dict:
    """Return totals, unacknowledged counts per severity and the most recent alerts."""
    unacked = Q(acknowledged=False)
    counts = Alert.objects.aggregate(
        total=Count("id"),
        unacknowledged=Count("id", filter=unacked),
        open=Count("id", filter=Q(resolved_at__isnull=True)),
        **{s: Count("id", filter=unacked & Q(severity=s)) for s in Severity.values},
    )
    recent = Alert.objects.select_related("device", "camera", "host")
    return {**counts, "recent": list(recent[: conf.get("summary_recent_alerts")])}


def _status_counts(model) -> dict:
    return model.objects.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(status="online")),
        offline=Count("id", filter=Q(status="offline")),
        unknown=Count("id", filter=Q(status="unknown")),
    )


def camera_status_counts() -> dict:
    """Return camera totals by status (plus how many want credentials)."""
    counts = _status_counts(Camera)
    counts["auth_required"] = Camera.objects.filter(auth_required=True).count()
    return counts


def host_status_counts() -> dict:
    """Return network host totals by status."""
    return _status_counts(NetworkHost)
