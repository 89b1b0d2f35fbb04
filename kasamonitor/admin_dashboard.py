"""The state at a glance for the admin index: devices, processes, alerts, last backup.

Every part fails soft: a part that cannot be read (Redis down, a table missing during a
restore) says "unknown" instead of turning the operators' console into a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

UNKNOWN = "unknown"


def system_state() -> dict[str, Any]:
    """Return the devices, worker, scheduler, alerts and backup parts of the dashboard."""
    return {
        "devices": _soft(_devices),
        **_soft_processes(),
        "alerts": _soft(_alerts),
        "backup": _soft(_last_backup),
    }


def _soft(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"status": "ok", **read()}
    except Exception:  # noqa: BLE001 (any failure of one part must not hide the others)
        logger.warning("admin dashboard: %s failed", read.__name__, exc_info=True)
        return {"status": UNKNOWN}


def _devices() -> dict[str, Any]:
    from devices.selectors import fleet_counts

    counts = fleet_counts()
    return {k: counts[k] for k in ("total", "online", "offline", "unknown", "last_poll")}


def _soft_processes() -> dict[str, dict[str, Any]]:
    # One ping first: with Redis down, both parts are unknown after one short timeout
    # instead of two.
    from kasamonitor import heartbeat

    try:
        heartbeat.redis_client().ping()
    except (redis.RedisError, OSError):
        return {"worker": {"status": UNKNOWN}, "scheduler": {"status": UNKNOWN}}
    return {
        "worker": _soft(lambda: _process(settings.WORKER_HEARTBEAT_KEY)),
        "scheduler": _soft(lambda: _process(settings.SCHEDULER_HEARTBEAT_KEY)),
    }


def _process(key: str) -> dict[str, Any]:
    from kasamonitor.health import check_process

    result = check_process(key)
    if result["status"] == "healthy":
        return {"status": "running", "instances": result["instances"]}
    if result.get("error") == "no heartbeat":
        return {"status": "down", "instances": 0}
    return {"status": UNKNOWN}  # Redis answered the ping but not the scan


def _alerts() -> dict[str, Any]:
    from monitoring.selectors import alert_summary

    summary = alert_summary()
    return {"open": summary["open"], "unacknowledged": summary["unacknowledged"]}


def _last_backup() -> dict[str, Any]:
    """The newest archive in the backups folder (CLI, API and scheduled ones alike)."""
    from backups.services import backups_dir, parse_name

    newest = None
    for path in backups_dir().glob("kasa_backup_*.7z"):
        parsed = parse_name(path.name)
        if parsed and path.is_file() and (newest is None or parsed[0] > newest[0]):
            newest = (*parsed, path)
    failed = _last_job_failed()
    if newest is None:
        return {"created": None, "last_job_error": failed}
    created, kind, path = newest
    return {
        "last_job_error": failed,
        "created": created,
        "type": kind,
        "filename": path.name,
        "size": path.stat().st_size,
        "age_hours": round((datetime.now(UTC) - created).total_seconds() / 3600, 1),
    }


def _last_job_failed() -> str | None:
    from backups.selectors import last_job_failure

    return last_job_failure()
