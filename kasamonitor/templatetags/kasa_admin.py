"""`{% kasa_system_status %}`: the status panel above the admin index's app list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.timesince import timesince

from kasamonitor.admin_dashboard import UNKNOWN, system_state

register = template.Library()

# A stale poll or backup is a warning, not an error: the operator decides.
POLL_STALE_MINUTES = 15
BACKUP_STALE_HOURS = 48


@register.inclusion_tag("admin/kasa_system_status.html")
def kasa_system_status() -> dict[str, Any]:
    return {"rows": status_rows(system_state())}


def status_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn system_state() into table rows: label, value, detail, level and a link."""
    return [
        _devices_row(state["devices"]),
        _poll_row(state["devices"]),
        _process_row("Worker", state["worker"]),
        _process_row("Scheduler", state["scheduler"], "django_celery_beat_periodictask"),
        _alerts_row(state["alerts"]),
        _backup_row(state["backup"]),
    ]


def _row(label: str, value: str, level: str, detail: str = "", url: str = "") -> dict[str, Any]:
    return {"label": label, "value": value, "level": level, "detail": detail, "url": url}


def _unknown(label: str) -> dict[str, Any]:
    return _row(label, "Unknown", UNKNOWN, "could not be read")


def _admin_url(name: str, query: str = "") -> str:
    try:
        return reverse(f"admin:{name}_changelist") + query
    except NoReverseMatch:
        return ""


def _ago(moment: datetime | None) -> str:
    return f"{timesince(moment)} ago" if moment else "never"


def _devices_row(devices: dict[str, Any]) -> dict[str, Any]:
    if devices["status"] == UNKNOWN:
        return _unknown("Devices")
    value = (
        f"{devices['online']} online, {devices['offline']} offline, {devices['unknown']} unknown"
    )
    level = "error" if devices["offline"] else "ok"
    query = "?status__exact=offline" if devices["offline"] else ""
    detail = f"{devices['total']} in total"
    return _row("Devices", value, level, detail, _admin_url("devices_device", query))


def _poll_row(devices: dict[str, Any]) -> dict[str, Any]:
    if devices["status"] == UNKNOWN:
        return _unknown("Last poll")
    last = devices["last_poll"]
    stale = last is None or (timezone.now() - last).total_seconds() > POLL_STALE_MINUTES * 60
    level = "warning" if stale and devices["total"] else "ok"
    detail = timezone.localtime(last).strftime("%Y-%m-%d %H:%M:%S %Z") if last else ""
    return _row("Last poll", _ago(last), level, detail)


def _process_row(label: str, process: dict[str, Any], admin_name: str = "") -> dict[str, Any]:
    url = _admin_url(admin_name) if admin_name else ""
    if process["status"] == UNKNOWN:
        return _row(label, "Unknown", UNKNOWN, "Redis could not be asked", url)
    if process["status"] == "down":
        return _row(label, "Not running", "error", "no heartbeat in Redis", url)
    return _row(label, "Running", "ok", f"{process['instances']} instance(s)", url)


def _alerts_row(alerts: dict[str, Any]) -> dict[str, Any]:
    if alerts["status"] == UNKNOWN:
        return _unknown("Open alerts")
    url = _admin_url("monitoring_alert", "?resolved_at__isempty=1")
    level = "warning" if alerts["open"] else "ok"
    detail = f"{alerts['unacknowledged']} not acknowledged (resolved included)"
    return _row("Open alerts", str(alerts["open"]), level, detail, url)


def _backup_row(backup: dict[str, Any]) -> dict[str, Any]:
    if backup["status"] == UNKNOWN:
        return _unknown("Last backup")
    url = _admin_url("backups_backupjob")
    failed = backup.get("last_job_error")
    if backup["created"] is None:
        return _row("Last backup", "Never", "error" if failed else "warning", failed or "", url)
    stale = backup["age_hours"] > BACKUP_STALE_HOURS
    level = "error" if failed else "warning" if stale else "ok"
    detail = f"{backup['type']}, {filesizeformat(backup['size'])}"
    if failed:
        detail = f"latest job failed: {failed}; last good: {detail}"
    return _row("Last backup", _ago(backup["created"]), level, detail, url)
