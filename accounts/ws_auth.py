"""WebSocket authentication: the access cookie or a ?token= query parameter."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from kasamonitor.errors import ApiError

from .authentication import ACCESS_COOKIE, authenticate_token


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
def user_for_token(raw: str | None):
    """Return the user a live session's access token belongs to, or AnonymousUser."""
    if not raw:
        return AnonymousUser()
    try:
        user, _token = authenticate_token(raw)
    except ApiError:
        return AnonymousUser()
    return user


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope["user"] = await user_for_token(_raw_token(scope))
        return await super().__call__(scope, receive, send)
