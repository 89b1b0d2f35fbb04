"""The audit log's one writer, called by every app (and by auth signal receivers)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.sql import DeleteQuery
from django.utils import timezone

from kasamonitor.ratelimit import hit_all, parse_rate

from .models import AuditLog

logger = logging.getLogger("kasamonitor.audit")


class SystemActor:
    """A non-user actor (an integration such as "mqtt"): audited under its name, no user."""

    is_authenticated = True

    def __init__(self, username: str) -> None:
        self.username = username


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
) -> AuditLog | None:
    """Record one audit event: who did `action` to what, from where, and how it went.

    Anyone can make an anonymous request write an entry (a wrong password, a refused
    Origin), so those are capped per client IP and in all (AUDIT_ANONYMOUS_PER_IP,
    AUDIT_ANONYMOUS_TOTAL); past a cap the entry is only counted, and None is returned.
    """
    if actor is None and request is not None and getattr(request, "user", None):
        actor = request.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser: the entry still has the IP and user agent
    suppressed_flush()
    if actor is None and request is not None and not _anonymous_quota(request, action):
        return None  # counted; summed up later in one audit.suppressed entry
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    entry = AuditLog.objects.create(
        actor=None if isinstance(actor, SystemActor) else actor,
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


# -- the cap on anonymous entries -------------------------------------------------------------

_SUPPRESSED = "security:audit-suppressed"
_SUPPRESSED_KEEP = 8 * 86400  # the daily prune job sums up what no later entry did


# Attempts at a secret are never dropped: they are what an audit log is read for, and their
# volume is already bounded by the login and reset limits (per IP and per account), which
# run before these entries are written. Capping them would let an attacker spend the cap
# first (refused CORS origins from many addresses) and then guess unseen.
UNCAPPED_ANONYMOUS = frozenset(
    {"login_failed", "password_reset_requested", "security.rate_limited"}
)


def _audit_client(request) -> str:
    """The cap's per-client key: the IP, or for IPv6 its /64 (one host holds a whole /64)."""
    ip = client_ip(request)
    if ip and ":" in ip:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return ip or "-"


def _anonymous_quota(request, action: str) -> bool:
    """Count an anonymous entry against both caps; False (and counted) past either.

    Only entries within their IP's cap count towards the total, so one noisy client
    cannot crowd out everyone else's entries.
    """

    if action in UNCAPPED_ANONYMOUS:
        return True
    per_ip, total = (parse_rate(settings.AUDIT_ANONYMOUS_PER_IP),
                     parse_rate(settings.AUDIT_ANONYMOUS_TOTAL))  # fmt: skip
    now = time.time()
    try:
        ip_window = hit_all([("audit-ip", _audit_client(request), per_ip)], now)[0]
        if not ip_window.exceeded and not hit_all([("audit-all", "-", total)], now)[0].exceeded:
            return True
        start = int(now // total.seconds) * total.seconds  # summed up per window of the total
        key = f"{_SUPPRESSED}:{start}:{total.seconds}"
        cache.add(key, 0, _SUPPRESSED_KEEP)
        if cache.incr(key) == 1:
            cache.set(f"{_SUPPRESSED}:last", (start, total.seconds), _SUPPRESSED_KEEP)
            logger.warning("audit entries suppressed", extra={"action": action, "window": start})
    except Exception:  # noqa: BLE001 (a cache outage must not lose the entry or fail the request)
        logger.warning("audit cap unavailable", exc_info=True)
        return True
    return False


def suppressed_flush(now: float | None = None) -> None:
    """Write one audit.suppressed entry for a past window in which entries were dropped."""
    try:
        last = cache.get(f"{_SUPPRESSED}:last")
        if not last or last[0] + last[1] > (time.time() if now is None else now):
            return  # nothing dropped, or its window is still open
        start, seconds = last
        if not cache.add(f"{_SUPPRESSED}:flushed:{start}:{seconds}", 1, _SUPPRESSED_KEEP):
            return  # another process wrote it
        count = cache.get(f"{_SUPPRESSED}:{start}:{seconds}") or 0
    except Exception:  # noqa: BLE001
        return
    AuditLog.objects.create(
        action="audit.suppressed",
        severity=AuditLog.Severity.WARNING,
        outcome=AuditLog.Outcome.FAILURE,
        target_type="security.auditlog",
        details={
            "suppressed": count,
            "from": datetime.fromtimestamp(start, UTC).isoformat(),
            "until": datetime.fromtimestamp(start + seconds, UTC).isoformat(),
            "caps": {
                "per_ip": settings.AUDIT_ANONYMOUS_PER_IP,
                "total": settings.AUDIT_ANONYMOUS_TOTAL,
            },
        },
    )
    logger.warning("audit entries suppressed: %d", count, extra={"window": start})


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
