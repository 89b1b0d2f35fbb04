"""Which channels hear about an alert, and delivering one message to one channel."""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from . import senders
from .models import Alert, AlertRule, NotificationChannel

logger = logging.getLogger(__name__)

# Only outages have a "resolved" worth telling anyone: "back online".
RESOLUTION_NOTICE_KINDS = {
    AlertRule.Kind.DEVICE_OFFLINE,
    AlertRule.Kind.CAMERA_UNREACHABLE,
    AlertRule.Kind.HOST_UNREACHABLE,
}


def channels_for(alert: Alert, event: str) -> list[NotificationChannel]:
    """Return the enabled channels that want this alert event."""
    if event == "resolved" and (
        alert.rule is None or alert.rule.kind not in RESOLUTION_NOTICE_KINDS
    ):
        return []
    channels = NotificationChannel.objects.filter(enabled=True)
    if event == "resolved":
        channels = channels.filter(notify_resolved=True)
    return [channel for channel in channels if channel.accepts(alert.severity)]


def notify_alert(alert: Alert, event: str = "raised") -> None:
    """Queue one delivery task per channel once the alert is committed."""
    from .tasks import send_alert_notification

    for channel in channels_for(alert, event):
        transaction.on_commit(partial(send_alert_notification.delay, channel.pk, alert.pk, event))


def alert_payload(alert: Alert, event: str) -> dict:
    """Return the generic webhook body: the event and the alert as the API shows it."""
    from .serializers import AlertOutput

    return {"event": f"alert.{event}", "alert": AlertOutput(alert).data}


def alert_text(alert: Alert, event: str) -> str:
    if event == "resolved":
        resolution = alert.details.get("resolution") or f"Resolved: {alert.message}"
        return f"[RESOLVED] {resolution}"
    return f"[{alert.severity.upper()}] {alert.message}"


def deliver(channel: NotificationChannel, *, subject: str, text: str, payload: dict) -> None:
    """Send one message through one channel, recording the outcome on the channel."""
    try:
        if channel.kind == NotificationChannel.Kind.EMAIL:
            senders.send_email(channel.target, subject, text)
        elif channel.kind == NotificationChannel.Kind.SLACK:
            senders.post_json(channel.target, {"text": text})
        else:
            senders.post_json(channel.target, payload)
    except (senders.DeliveryFailed, senders.DeliveryRejected, ValueError) as exc:
        _record(channel, error=str(exc))
        raise
    _record(channel, error="")


def _record(channel: NotificationChannel, *, error: str) -> None:
    channel.last_error = error[:255]
    fields = ["last_error"]
    if not error:
        channel.last_sent_at = timezone.now()
        fields.append("last_sent_at")
    NotificationChannel.objects.filter(pk=channel.pk).update(
        **{name: getattr(channel, name) for name in fields}
    )


def notification_deliver(channel_id: int, alert_id: int, event: str = "raised") -> bool:
    """Deliver one alert event to one channel; False when either has since gone."""
    channel = NotificationChannel.objects.filter(pk=channel_id, enabled=True).first()
    alert = Alert.objects.select_related("device", "camera", "host", "rule").filter(pk=alert_id)
    alert = alert.first()
    if channel is None or alert is None:
        return False
    text = alert_text(alert, event)
    is_email = channel.kind == NotificationChannel.Kind.EMAIL
    deliver(
        channel,
        subject=f"[Kasa Monitor] {text}",
        text=_email_body(alert, text) if is_email else text,
        payload=alert_payload(alert, event),
    )
    return True


def _email_body(alert: Alert, text: str) -> str:
    lines = [
        text,
        "",
        f"Severity: {alert.severity}",
        f"Raised: {alert.created_at:%Y-%m-%d %H:%M %Z}",
    ]
    if alert.subject_name:
        lines.append(f"Concerns: {alert.subject_name}")
    if alert.resolved_at:
        lines.append(f"Resolved: {alert.resolved_at:%Y-%m-%d %H:%M %Z}")
    return "\n".join(lines)


def channel_test(channel: NotificationChannel) -> None:
    """Send a test message through a channel now (raises on failure)."""
    text = f"Test notification from Kasa Monitor for channel '{channel.name}'."
    payload = {"event": "test", "message": text, "channel": channel.name}
    deliver(channel, subject="[Kasa Monitor] Test notification", text=text, payload=payload)


def channel_test_safe(channel: NotificationChannel) -> str:
    """Send a test message; return "" on success or the reason it failed."""
    try:
        channel_test(channel)
    except (senders.DeliveryFailed, senders.DeliveryRejected, ValueError) as exc:
        return str(exc)
    return ""
