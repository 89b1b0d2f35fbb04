"""Monitoring defaults; each can be overridden by a same-named setting (settings.MONITORING)."""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # Network timeouts (seconds): short, so one dead peer never stalls a poll or a worker.
    "webhook_timeout": 5.0,
    "rtsp_timeout": 3.0,
    "host_timeout": 2.0,
    "probe_concurrency": 50,
    # Daily summary time in settings.TIME_ZONE ("HH:MM"); used when the schedule is first
    # created, after that admins edit the crontab in the admin.
    "daily_summary_time": "00:00",
    "camera_poll_minutes": 10,
    "host_check_minutes": 5,
    "rules_every_seconds": 60,
    # How far back the power rules read readings beyond their own durations.
    "reading_margin_minutes": 15,
    "summary_recent_alerts": 10,
    # A billing period's report goes to the opted-in channels only within this many days of
    # its close (a channel opted in later waits for the next period).
    "monthly_report_within_days": 7,
}


def get(name: str):
    """Return a monitoring setting: settings.MONITORING[name] or the default."""
    return {**DEFAULTS, **getattr(settings, "MONITORING", {})}[name]
