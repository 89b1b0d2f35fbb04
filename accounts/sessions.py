"""Login sessions: start (at most MAX_SESSIONS_PER_USER), check, refresh, list and end."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework_simplejwt.settings import api_settings

from kasamonitor.compiled import CompiledGet
from kasamonitor.errors import NotFound, PermissionRequired
from security.services import audit_record, client_ip

from . import tokens
from .errors import InvalidToken, NotCurrentSession, RefreshTokenReused, SessionRevoked
from .models import LoginSession, User
from .socket_groups import sockets_end_for_sessions

TOUCH_INTERVAL = 60  # seconds: last_activity is written at most this often per session


@dataclass(frozen=True)
class IssuedTokens:
    session: LoginSession
    refresh: tokens.SessionRefreshToken

    @cached_property  # one access token per issue, the same in the body and the cookie
    def access(self) -> str:
        return str(self.refresh.access_token)


def device_name(user_agent: str) -> str:
    """Return a short label such as "Chrome on Windows" for a User-Agent header."""
    if not user_agent:
        return "Unknown device"
    # Imported here: user_agents loads its regex tables at import (~0.6 s, 7 MiB), which
    # every web and worker process would otherwise pay at start-up.
    from user_agents import parse as parse_user_agent

    agent = parse_user_agent(user_agent)
    if agent.is_bot or agent.browser.family == "Other":
        return user_agent.split("/")[0][:100] or "Unknown device"
    return f"{agent.browser.family} on {agent.os.family}"[:100]


def parse_session_id(value: str) -> uuid.UUID:
    """Accept "sess_<hex>" (auth API) or a plain UUID (security API)."""
    try:
        return uuid.UUID(value.removeprefix("sess_"))
    except (ValueError, AttributeError) as exc:
        raise NotFound("Session not found.") from exc


@transaction.atomic
def session_start(
    user: User, *, ip: str | None, user_agent: str = "", console: bool = False
) -> IssuedTokens:
    """Open a login session with its first refresh token, ending the oldest beyond the limit."""
    # Lock the user row so two parallel logins can't both see room for one more session.
    User.objects.select_for_update().filter(pk=user.pk).first()
    name = device_name(user_agent)
    session = LoginSession(
        user=user,
        ip_address=ip,
        user_agent=user_agent[:512],
        device_name=f"{name} (admin console)"[:100] if console else name,
        console=console,
    )
    refresh = tokens.new_refresh(user_id=user.pk, session_id=session.id.hex)
    session.refresh_jti = refresh[api_settings.JTI_CLAIM]
    session.expires_at = tokens.expires_at(refresh)
    session.save()
    # The limit counts console logins and API/web logins apart (see LoginSession.console).
    same_kind = LoginSession.objects.active().filter(user=user, console=console)
    for old in same_kind[settings.MAX_SESSIONS_PER_USER :]:
        session_end(old, reason="session_limit")
    return IssuedTokens(session=session, refresh=refresh)


def session_for_token(token) -> LoginSession:
    """Return the live session a verified token belongs to, or raise a 401."""
    try:
        session = _session_with_user.get(uuid.UUID(hex=str(token[tokens.SESSION_CLAIM])))
    except (LoginSession.DoesNotExist, ValueError):
        raise InvalidToken() from None
    if str(session.user_id) != str(token.get(api_settings.USER_ID_CLAIM)):
        raise InvalidToken()
    if not session.is_active or not session.user.is_active:
        raise SessionRevoked()
    _touch(session)
    return session


_session_with_user = CompiledGet(LoginSession.objects.select_related("user"))

_touched: dict[uuid.UUID, float] = {}  # session id -> when this process last touched it


def _touch(session: LoginSession) -> None:
    # This process asks Redis at most once per session and interval (no round trip on
    # most requests); cache.add is atomic, so one process per interval writes the row.
    seen = time.monotonic()
    if seen - _touched.get(session.pk, -TOUCH_INTERVAL) < TOUCH_INTERVAL:
        return
    if len(_touched) > 10_000:  # forget sessions not seen for a while
        for key in [k for k, at in list(_touched.items()) if seen - at >= TOUCH_INTERVAL]:
            _touched.pop(key, None)  # another thread may have dropped it already
    _touched[session.pk] = seen
    try:
        claimed = cache.add(f"accounts:session-touch:{session.pk.hex}", 1, TOUCH_INTERVAL)
    except RedisError:  # Redis is away: last_activity waits for a later request
        return
    if claimed:
        now = timezone.now()
        LoginSession.objects.filter(pk=session.pk).update(last_activity=now)
        session.last_activity = now


def session_refresh(raw_refresh, *, request=None) -> IssuedTokens:
    """Rotate a refresh token; presenting an already rotated one ends the whole session."""
    old = tokens.decode_refresh(raw_refresh)
    session = session_for_token(old)
    new = tokens.new_refresh(user_id=session.user_id, session_id=session.id.hex)
    swapped = LoginSession.objects.filter(
        pk=session.pk, refresh_jti=old[api_settings.JTI_CLAIM], revoked_at__isnull=True
    ).update(refresh_jti=new[api_settings.JTI_CLAIM], expires_at=tokens.expires_at(new))
    if not swapped:
        session_end(session, reason="refresh_reuse", request=request)
        audit_record(
            "refresh_token_reused",
            actor=session.user,
            request=request,
            target=session.user,
            outcome="failure",
            severity="warning",
            details={"session_id": session.public_id},
        )
        raise RefreshTokenReused()
    old.blacklist()
    session.refresh_from_db()
    return IssuedTokens(session=session, refresh=new)


def session_list(user: User) -> list[LoginSession]:
    return list(LoginSession.objects.active().filter(user=user))


def session_end(session: LoginSession, *, reason: str, actor=None, request=None) -> bool:
    """End one session now: its access and refresh tokens are refused from the next request."""
    ended = LoginSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    if ended:
        sockets_end_for_sessions([session.pk])
        audit_record(
            "session_revoked",
            actor=actor,
            request=request,
            target=session.user,
            details={"session_id": session.public_id, "reason": reason},
        )
    return bool(ended)


def session_end_all(
    user: User, *, reason: str, keep: uuid.UUID | None = None, actor=None, request=None
) -> int:
    """End every live session of a user (except `keep`); return how many ended."""
    live = LoginSession.objects.active().filter(user=user)
    if keep is not None:
        live = live.exclude(pk=keep)
    ending = list(live.values_list("pk", flat=True))
    count = LoginSession.objects.filter(pk__in=ending, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    if count:
        sockets_end_for_sessions(ending)
        audit_record(
            "session_revoked",
            actor=actor,
            request=request,
            target=user,
            details={"reason": reason, "count": count},
        )
    return count


def session_end_own(user: User, session_id: str, *, request=None) -> None:
    """End one of the user's own sessions (404 if unknown, 403 if someone else's)."""
    session = LoginSession.objects.filter(pk=parse_session_id(session_id)).first()
    if session is None or not session.is_active:
        raise NotFound("Session not found.")
    if session.user_id != user.pk:
        raise PermissionRequired("This session belongs to another user.")
    session_end(session, reason="revoked_by_user", actor=user, request=request)


def current_session_id(request) -> uuid.UUID | None:
    """Return the id of the session the request's token belongs to."""
    token = getattr(request, "auth", None)
    if token is None or tokens.SESSION_CLAIM not in token:
        return None
    return uuid.UUID(hex=str(token[tokens.SESSION_CLAIM]))


def current_session_or_refuse(request, session_id: str) -> uuid.UUID:
    """Return the request's session id when session_id names it (a UUID or sess_<hex>);
    a 400 otherwise, so a stale page or another device's id never picks what survives."""
    current = current_session_id(request)
    try:
        named = parse_session_id(session_id)
    except NotFound:
        named = None
    if current is None or named != current:
        raise NotCurrentSession(field="sessionId")
    return current


# -- the Django admin's own sessions ------------------------------------------------------------
# The admin console logs in with Django's session cookie, not a token. Each such login
# opens a login session too, and the cookie session names it: ending it (logout everywhere,
# revoke, a password change, disabling the user) ends the admin's session on its next
# request (accounts.middleware.ConsoleSessionMiddleware).

CONSOLE_SESSION_KEY = "kasa_login_session"


def console_session_start(request, user: User) -> None:
    """Open a login session for a Django admin login and tie the cookie session to it."""
    issued = session_start(
        user,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        console=True,
    )
    request.session[CONSOLE_SESSION_KEY] = issued.session.id.hex


def console_session(request) -> LoginSession | None:
    """Return the live login session of the request's admin cookie session, or None."""
    from django.contrib.auth import SESSION_KEY

    raw = request.session.get(CONSOLE_SESSION_KEY)
    try:
        session_id = uuid.UUID(hex=str(raw))
    except ValueError:
        return None
    session = (
        LoginSession.objects.active()
        .select_related("user")
        .filter(pk=session_id, user_id=request.session.get(SESSION_KEY), user__is_active=True)
        .first()
    )
    if session is not None:
        _touch(session)
    return session


def console_session_end(request, user) -> None:
    """The admin logged out of the console: end its login session as well."""
    session = console_session(request)
    if session is not None:
        session_end(session, reason="logout", actor=user, request=request)
