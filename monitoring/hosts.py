"""Network hosts: saving, TCP reachability checks and polling."""

from __future__ import annotations

import asyncio

from django.db import transaction
from django.utils import timezone

from security.services import audit_record

from . import conf
from .models import AlertRule, NetworkHost, Reachability
from .netcheck import TcpCheck, bounded_gather, tcp_check
from .rules import evaluate

FIELDS = ("name", "ip_address", "port", "vendor", "device_type", "meta", "enabled")


def host_save(host: NetworkHost, *, actor, data: dict) -> NetworkHost:
    """Create or change a host from validated data."""
    created = host.pk is None
    for name in FIELDS:
        if name in data:
            setattr(host, name, data[name])
    host.full_clean()
    host.save()
    action = "host.create" if created else "host.update"
    audit_record(action, actor=actor, target=host, details={"fields": sorted(data)})
    return host


def host_delete(host: NetworkHost, *, actor) -> None:
    audit_record("host.delete", actor=actor, target=host, severity="warning")
    host.delete()


def _check(host: NetworkHost):
    return tcp_check(host.ip_address, host.port, conf.get("host_timeout"))


def _record(host: NetworkHost, result: TcpCheck) -> bool:
    status = Reachability.ONLINE if result.reachable else Reachability.OFFLINE
    changed = host.status != status
    now = timezone.now()
    host.status, host.last_checked_at = status, now
    host.latency_ms, host.last_error = result.latency_ms, result.error[:255]
    if result.reachable:
        host.last_seen = now
    host.save(update_fields=["status", "last_checked_at", "latency_ms", "last_error", "last_seen"])
    return changed


def host_check(host: NetworkHost) -> dict:
    """Check one host now, store the result and update its alerts."""
    result = asyncio.run(_check(host))
    with transaction.atomic():
        changed = _record(host, result)
        evaluate(kinds=[AlertRule.Kind.HOST_UNREACHABLE])
    return {
        "host_id": host.pk,
        "status": host.status,
        "status_changed": changed,
        "latency_ms": result.latency_ms,
        "detail": result.error or f"TCP port {host.port} accepted the connection",
    }


def host_check_all() -> int:
    """Check every enabled host concurrently; return how many changed status."""
    hosts = list(NetworkHost.objects.filter(enabled=True))
    if not hosts:
        return 0
    results = asyncio.run(bounded_gather((_check(h) for h in hosts), conf.get("probe_concurrency")))
    with transaction.atomic():
        changed = sum(_record(h, r) for h, r in zip(hosts, results, strict=True))
        evaluate(kinds=[AlertRule.Kind.HOST_UNREACHABLE])
    return changed
