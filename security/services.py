"""The audit log's one writer, called by every app (and by auth signal receivers)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.sql import DeleteQuery
from django.utils import timezone

from .models import AuditLog

logger = logging.getLogger("kasamonitor.audit")


def client_ip(request) -> str | None:
    """Return the client's IP address: the one place the app derives it.

    REMOTE_ADDR is the peer of the connection. Behind a proxy (BEHIND_PROXY=1) the web
    server (kasamonitor/serve.py) has already replaced it with the right-most
    X-Forwarded-For hop that no trusted proxy (FORWARDED_ALLOW_IPS) added; headers are
    never read here. Anything that is not an IP address gives None.
    """
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR") or ""))
    except ValueError:
        return None


def client_ip_for_ratelimit(request) -> str:
    """client_ip() for django-ratelimit (RATELIMIT_IP_META_KEY), which needs a string."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104 (a bucket name, not a bind address)


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
        actor = request.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser: the entry still has the IP and user agent
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


def audit_prune(*, older_than: datetime, batch_size: int = 5000) -> int:
    """Delete audit entries older than a date (retention is the only way rows leave)."""
    # A raw DeleteQuery, because AuditLogQuerySet.delete() refuses on purpose; batches keep
    # each statement and transaction short on a big table.
    removed = 0
    while True:
        ids = list(
            AuditLog.objects.filter(created_at__lt=older_than).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not ids:
            return removed
        with transaction.atomic():
            removed += DeleteQuery(AuditLog).delete_batch(ids, "default")


def audit_prune_expired() -> int:
    """Apply the retention policy: drop entries older than AUDIT_RETENTION_DAYS."""
    days = settings.AUDIT_RETENTION_DAYS
    removed = audit_prune(older_than=timezone.now() - timedelta(days=days))
    if removed:
        audit_record(
            "audit.pruned",
            target_type="security.auditlog",
            details={"removed": removed, "retention_days": days},
        )
    return removed


def cors_refused_record(request, origin: str) -> None:
    """Log a refused cross-origin request; audit each origin at most once an hour."""
    details = {"origin": origin[:200], "path": request.path[:200], "method": request.method}
    logger.warning("cors origin refused", extra=details)
    key = "security:cors-refused:" + hashlib.sha256(origin.encode()).hexdigest()
    try:
        first_this_hour = cache.add(key, 1, timeout=3600)
    except Exception:  # noqa: BLE001 (a cache outage must not fail the request)
        first_this_hour = True
    if first_this_hour:
        audit_record(
            "security.cors_refused",
            request=request,
            outcome=AuditLog.Outcome.FAILURE,
            severity=AuditLog.Severity.WARNING,
            details=details,
        )
