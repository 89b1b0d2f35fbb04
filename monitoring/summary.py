"""The daily summary: what happened in the last 24 hours, sent to every subscribed channel."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from devices.selectors import fleet_counts
from insights import digest

from . import conf, notify, selectors
from .models import Alert, NotificationChannel, Severity

logger = logging.getLogger(__name__)


def daily_summary(now=None) -> dict:
    """Return the summary of the 24 hours before now."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    raised = Alert.objects.filter(created_at__gte=since)
    fleet = fleet_counts()
    return {
        "period_start": since,
        "period_end": now,
        "alerts_raised": raised.count(),
        "by_severity": {s: raised.filter(severity=s).count() for s in Severity.values},
        "open": Alert.objects.filter(resolved_at__isnull=True).count(),
        "unacknowledged": Alert.objects.filter(acknowledged=False).count(),
        "devices": {k: fleet[k] for k in ("total", "online", "offline", "unknown")},
        "cameras": selectors.camera_status_counts(),
        "hosts": selectors.host_status_counts(),
        "recent": [
            f"[{a.severity}] {a.message}" for a in raised[: conf.get("summary_recent_alerts")]
        ],
        "insights": _insights(now),
    }


def _insights(now) -> dict | None:
    """Yesterday's use, this bill, the movers and what is always on (insights.digest.DAILY),
    with their text lines; None if they could not be worked out (the rest still goes)."""
    try:
        figures, lines = digest.compose(digest.DAILY, digest.Context(now=now))
    except Exception:  # noqa: BLE001 (the alert part of the summary must go regardless)
        logger.exception("the daily summary's insights failed")
        return None
    return {**figures, "lines": lines}


def summary_text(summary: dict) -> str:
    by_severity = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items() if n) or "none"
    lines = [
        f"Kasa Monitor daily summary ({summary['period_end']:%Y-%m-%d})",
        f"Alerts in the last 24 h: {summary['alerts_raised']} ({by_severity})",
        f"Open: {summary['open']}, unacknowledged: {summary['unacknowledged']}",
    ]
    for name in ("devices", "cameras", "hosts"):
        c = summary[name]
        lines.append(
            f"{name.title()}: {c['online']} online, {c['offline']} offline of {c['total']}"
        )
    if summary.get("insights"):
        lines += ["", "Energy:", *(f"- {line}" for line in summary["insights"]["lines"])]
    if summary["recent"]:
        lines += ["", "Recent alerts:", *(f"- {line}" for line in summary["recent"])]
    return "\n".join(lines)


def daily_summary_send() -> int:
    """Queue the summary for every enabled channel that wants it; return how many."""
    from .tasks import send_summary_notification

    ids = list(
        NotificationChannel.objects.filter(enabled=True, daily_summary=True).values_list(
            "pk", flat=True
        )
    )
    for channel_id in ids:
        send_summary_notification.delay(channel_id)
    return len(ids)


def summary_deliver(channel_id: int) -> bool:
    """Send the summary through one channel; False when the channel has gone."""
    channel = NotificationChannel.objects.filter(pk=channel_id, enabled=True).first()
    if channel is None:
        return False
    summary = daily_summary()
    text = summary_text(summary)
    payload = {"event": "daily_summary", "summary": summary}
    notify.deliver(channel, subject=text.splitlines()[0], text=text, payload=payload)
    return True
