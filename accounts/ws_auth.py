"""WebSocket authentication: the access cookie or a ?token= query parameter, and the end of
a socket's right to live data.

A socket belongs to the login session of its access token. It may receive data only while
that session lives: accounts/socket_groups.py tells every web process, through the channel
layer, to close the sockets of ended sessions (logout, revoke, password change, a disabled
or deleted user) with code 4401; each socket also closes itself when its access token
expires. The browser's script then refreshes its cookie and reconnects,
or goes to the login page.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from kasamonitor.errors import ApiError

from .authentication import ACCESS_COOKIE, authenticate_token
from .socket_groups import (  # noqa: F401 (CLOSE_UNAUTHORISED, SESSION_ENDED: the consumers')
    CLOSE_UNAUTHORISED,
    SESSION_ENDED,
    session_group,
    user_group,
)

logger = logging.getLogger(__name__)


def _raw_token(scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode())
    if query.get("token"):
        return query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode().split(";"):
                key, _, token = part.strip().partition("=")
                if key == ACCESS_COOKIE and token:
                    return token
    return None


@database_sync_to_async
def _authenticate(raw: str | None) -> tuple[object, dict]:
    """Return (user, auth) for a live session's access token, or (AnonymousUser, {})."""
    from .tokens import SESSION_CLAIM

    if not raw:
        return AnonymousUser(), {}
    try:
        user, token = authenticate_token(raw)
    except ApiError:
        return AnonymousUser(), {}
    return user, {"session": str(token[SESSION_CLAIM]), "expires": float(token["exp"])}


async def authenticate_socket(token: str | None, scope) -> tuple[object, dict]:
    """(user, auth) for a socket that brings its token itself (Socket.IO's auth payload) or
    in the access cookie of scope's headers; (AnonymousUser, {}) otherwise."""
    return await _authenticate(token or _raw_token(scope))


class JWTAuthMiddleware(BaseMiddleware):
    """Put the socket's user in scope["user"] and its session in scope["auth"]:
    {"session": id, "expires": unix time the access token expires}."""

    async def __call__(self, scope, receive, send):
        scope["user"], scope["auth"] = await _authenticate(_raw_token(scope))
        return await super().__call__(scope, receive, send)


def groups_of(scope) -> list[str]:
    """The channel-layer groups whose SESSION_ENDED message must close this socket."""
    auth = scope.get("auth") or {}
    return [session_group(auth["session"]), user_group(scope["user"].pk)]


def seconds_left(scope) -> float:
    """Seconds until the socket's access token expires (0 when it has)."""
    auth = scope.get("auth") or {}
    return max(0.0, auth.get("expires", 0.0) - time.time())
