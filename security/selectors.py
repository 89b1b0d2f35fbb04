"""Reads of the audit log (the API, the admin export and the exports app use these)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from .models import AuditLog


def audit_in(*, start: datetime, end: datetime) -> QuerySet[AuditLog]:
    """Return the audit entries made in [start, end), unordered."""
    return AuditLog.objects.filter(created_at__gte=start, created_at__lt=end)


def audit_of(user) -> QuerySet[AuditLog]:
    """Return the audit entries `user` made, oldest first."""
    return AuditLog.objects.filter(actor=user).order_by("created_at")


def audit_log_list(
    *,
    action: str = "",
    actor: str = "",
    outcome: str = "",
    severity: str = "",
    target: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[AuditLog]:
    """Return audit entries, newest first, matching every filter that is given.

    action: exact name, or a prefix ending in "*" ("auth.*"); several comma-separated.
    actor: a username or a user id. target: "type:id", or text found in the target.
    """
    entries = AuditLog.objects.all()
    if action:
        entries = entries.filter(_action_q(action))
    if actor:
        by_id = Q(actor_id=int(actor)) if actor.isascii() and actor.isdigit() else Q()
        entries = entries.filter(by_id | Q(actor_username__iexact=actor))
    if outcome:
        entries = entries.filter(outcome=outcome)
    if severity:
        entries = entries.filter(severity__in=severity.split(","))
    if target:
        entries = entries.filter(_target_q(target))
    if start:
        entries = entries.filter(created_at__gte=start)
    if end:
        entries = entries.filter(created_at__lt=end)
    return entries


def _action_q(action: str) -> Q:
    query = Q()
    for name in filter(None, (a.strip() for a in action.split(","))):
        if name.endswith("*"):
            query |= Q(action__startswith=name[:-1])
        else:
            query |= Q(action=name)
    return query


def _target_q(target: str) -> Q:
    kind, sep, ident = target.partition(":")
    if sep and kind and ident:
        return Q(target_type=kind, target_id=ident)
    return Q(target_type=target) | Q(target_id=target) | Q(target_repr__icontains=target)
