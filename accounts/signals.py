"""Audit receivers for Django's login signals (API and admin logins alike)."""

from __future__ import annotations

from security.services import audit_record


def audit_login(sender, request, user, **kwargs) -> None:
    audit_record("login", actor=user, request=request, target=user)


def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit_record(
        "login_failed",
        request=request,
        outcome="failure",
        severity="warning",
        details={"username": credentials.get("username", "")},
    )
