"""Receivers of Django's login signals: audit (API and admin logins alike) and the admin
console's login sessions (accounts.sessions)."""

from __future__ import annotations

from security.services import audit_record

from . import sessions


def _via(request) -> dict:
    on_console = request is not None and request.path.startswith("/admin/")
    return {"via": "admin console"} if on_console else {}


def audit_login(sender, request, user, **kwargs) -> None:
    audit_record("login", actor=user, request=request, target=user, details=_via(request))


def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit_record(
        "login_failed",
        request=request,
        outcome="failure",
        severity="warning",
        details={"username": credentials.get("username", "")[:150], **_via(request)},
    )


def console_login(sender, request, user, login_session=None, **kwargs) -> None:
    # accounts.services sends this signal for API logins with their session; anything else
    # is Django's own auth.login(), i.e. the admin console.
    if login_session is None and request is not None and hasattr(request, "session"):
        sessions.console_session_start(request, user)


def console_logout(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.console_session_end(request, user)
