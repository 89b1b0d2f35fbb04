"""Sign-in flows: first-run setup, registration, login (with 2FA), logout."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import connection, transaction

from security.services import audit_record, client_ip
from system.selectors import system_config

from . import ratelimits, sessions, totp
from .errors import (
    InvalidCredentials,
    InvalidOtpCode,
    RegistrationClosed,
    SetupComplete,
    TwoFactorThrottled,
)
from .models import User
from .passwords import check_policy
from .roles import ADMIN, VIEWER

_FIRST_RUN_LOCK = 0x4B415341  # "KASA": the PostgreSQL advisory lock id of first-run setup


@dataclass(frozen=True)
class LoginChallenge:
    """The password was right, but the user has 2FA: a code must follow."""

    user: User
    challenge_token: str


def _start(user: User, request) -> sessions.IssuedTokens:
    issued = sessions.session_start(
        user, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )
    # Django's signal: updates last_login and writes the "login" audit entry; login_session
    # tells it apart from an admin console login (accounts.signals.console_login).
    user_logged_in.send(sender=User, request=request, user=user, login_session=issued.session)
    return issued


def login(*, identifier: str, password: str, request) -> sessions.IssuedTokens | LoginChallenge:
    """Check the password (5/min per IP, back-off per account); 2FA users get a challenge."""
    account = ratelimits.account_key(identifier)
    ratelimits.password_guard(request, account)
    user = authenticate(request, username=identifier, password=password)
    # On None, Django sent user_login_failed, which audits the failure.
    if not ratelimits.password_checked(account, user is not None):
        raise InvalidCredentials()
    if totp.is_enabled(user):
        return LoginChallenge(user=user, challenge_token=totp.challenge_issue(user))
    return _start(user, request)


def login_with_challenge(*, challenge_token: str, code: str, request) -> sessions.IssuedTokens:
    """Finish a 2FA login with a TOTP or backup code."""
    ratelimits.enforce(request, "two_factor")
    try:
        user = totp.challenge_redeem(challenge_token, code)
    except (InvalidOtpCode, TwoFactorThrottled) as exc:
        reason = "2fa_throttled" if isinstance(exc, TwoFactorThrottled) else "invalid_2fa_code"
        audit_record(
            "login_failed",
            request=request,
            outcome="failure",
            severity="warning",
            details={"reason": reason},
        )
        raise
    return _start(user, request)


def logout(request) -> int:
    """End the session of the request's token; return how many sessions ended (0 or 1)."""
    session_id = sessions.current_session_id(request)
    session = request.user.login_sessions.filter(pk=session_id).first() if session_id else None
    ended = bool(session) and sessions.session_end(
        session, reason="logout", actor=request.user, request=request
    )
    audit_record("logout", actor=request.user, request=request, details={"scope": "session"})
    return int(ended)


def logout_everywhere(request) -> int:
    """End every session of the request's user."""
    count = sessions.session_end_all(
        request.user, reason="logout_all", actor=request.user, request=request
    )
    audit_record("logout", actor=request.user, request=request, details={"scope": "all"})
    return count


def setup_required() -> bool:
    return not User.objects.exists()


def _lock_first_run() -> None:
    # Serialise concurrent setup calls. SQLite needs nothing: its transactions are
    # IMMEDIATE (settings), so the whole atomic block already holds the write lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FIRST_RUN_LOCK])


@transaction.atomic
def setup_first_admin(
    *, username: str, email: str, password: str, full_name: str = "", request=None
) -> User:
    """Create the first administrator; refused once any user exists."""
    _lock_first_run()
    if User.objects.exists():
        raise SetupComplete()
    check_policy(password, User(username=username, email=email))
    user = User.objects.create_user(
        username=username, email=email, password=password, full_name=full_name, role=ADMIN
    )
    audit_record(
        "user_created",
        actor=user,
        request=request,
        target=user,
        details={"role": ADMIN, "via": "setup"},
    )
    return user


def register(*, username: str, email: str, password: str, full_name: str = "", request):
    """Create a viewer account when the admin allows registration, and log it in."""
    ratelimits.enforce(request, "register")
    if not system_config().allow_registration:
        raise RegistrationClosed()
    from .users import user_create

    user = user_create(
        actor=None,
        username=username,
        email=email,
        password=password,
        full_name=full_name,
        role=VIEWER,
        request=request,
    )
    return _start(user, request)


def security_status() -> dict:
    """Return the JWT and security settings an admin may inspect."""
    return {
        "jwt_configuration": {
            "algorithm": settings.SIMPLE_JWT["ALGORITHM"],
            "access_token_expire_minutes": int(
                settings.ACCESS_TOKEN_LIFETIME.total_seconds() // 60
            ),
            "refresh_token_expire_days": settings.REFRESH_TOKEN_LIFETIME.days,
            "previous_keys_accepted": len(settings.JWT_PREVIOUS_KEYS),
        },
        "security_features": {
            "token_refresh_enabled": True,
            "refresh_token_rotation": True,
            "session_management_available": True,
            "max_sessions_per_user": settings.MAX_SESSIONS_PER_USER,
            "two_factor_available": True,
            "audit_logging_enabled": True,
            "structured_error_responses": True,
            "rate_limits": dict(settings.AUTH_RATE_LIMITS),
        },
        "password_policy": dict(settings.PASSWORD_POLICY),
    }
