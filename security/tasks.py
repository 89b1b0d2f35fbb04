"""Celery tasks of the security app: thin wrappers around its services."""

from __future__ import annotations

from celery import shared_task

from . import services, signed_urls


@shared_task(ignore_result=True)
def prune_audit_log() -> None:
    services.audit_prune_expired()
    services.suppressed_flush()
    signed_urls.used_signatures_prune()
