"""JWT authentication from the Authorization header or the HTTP-only access cookie.

Every token must belong to a live login session: a revoked or expired session's tokens are
refused on the very next request (one indexed query that also loads the user).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.authentication import CSRFCheck
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"


def enforce_csrf(request) -> None:
    """Cookie-authenticated unsafe requests must carry the CSRF token (header clients need not)."""

    def dummy_get_response(request):  # pragma: no cover - never called
        return None

    check = CSRFCheck(dummy_get_response)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        from .errors import CsrfFailed

        raise CsrfFailed(reason="csrf")


def authenticate_token(raw):
    """Return (user, token) for a raw access token, or raise a structured 401."""
    # Imported here: DRF imports this module while kasamonitor.errors is still loading.
    from . import sessions, tokens

    token = tokens.decode_access(raw)
    session = sessions.session_for_token(token)
    return session.user, token


def token_user_id(raw) -> str | None:
    """Return the user id a valid access token names (no database query), else None."""
    from rest_framework_simplejwt.settings import api_settings as jwt_settings

    from kasamonitor.errors import ApiError

    from . import tokens

    try:
        return str(tokens.decode_access(raw)[jwt_settings.USER_ID_CLAIM])
    except (ApiError, KeyError):
        return None


class JWTAuthentication(SimpleJWTAuthentication):
    def authenticate(self, request):
        header = self.get_header(request)
        if header is not None:
            raw = self.get_raw_token(header)
            return None if raw is None else authenticate_token(raw)
        raw = request.COOKIES.get(ACCESS_COOKIE)
        if not raw:
            return None
        user, token = authenticate_token(raw)
        enforce_csrf(request)
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def cookie_settings() -> dict:
    return {
        "httponly": True,
        "secure": settings.COOKIE_SECURE,
        "samesite": settings.COOKIE_SAMESITE,
    }
