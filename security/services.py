"""The audit log's one writer, called by every app (and by auth signal receivers)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db.models.sql import DeleteQuery

from .models import AuditLog

logger = logging.getLogger("kasamonitor.audit")


def client_ip(request) -> str | None:
    """Return the client's IP address (REMOTE_ADDR; proxies are trusted only via settings)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    action: str,
    *,
    actor=None,
    request=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    outcome: str = AuditLog.Outcome.SUCCESS,
    severity: str = AuditLog.Severity.INFO,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Record one audit event: who did `action` to what, from where, and how it went."""
    if actor is None and request is not None and getattr(request, "user", None):
        actor = request.user if request.user.is_authenticated else None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    entry = AuditLog.objects.create(
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        severity=severity,
        outcome=outcome,
        target_type=target_type,
        target_id=str(target_id),
        target_repr=str(target)[:255] if target is not None else "",
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:512],
        details=details or {},
    )
    logger.info(
        "audit", extra={"action": action, "outcome": outcome, "actor": entry.actor_username}
    )
    return entry


def audit_prune(*, older_than: datetime) -> int:
    """Delete audit entries older than a date (retention is the only way rows leave)."""
    ids = list(AuditLog.objects.filter(created_at__lt=older_than).values_list("pk", flat=True))
    query = DeleteQuery(AuditLog)
    return query.delete_batch(ids, "default") if ids else 0
