"""The browser mode: tokens in HTTP-only cookies, plus a readable csrftoken cookie."""

from __future__ import annotations

from django.conf import settings
from django.middleware.csrf import rotate_token

from .authentication import ACCESS_COOKIE, REFRESH_COOKIE, cookie_settings

REFRESH_PATH = "/api/"  # sent to both refresh endpoints, never to pages or static files


def set_auth_cookies(response, request, issued) -> None:
    """Put a fresh token pair in cookies and a new CSRF token (set by CsrfViewMiddleware)."""
    response.set_cookie(
        ACCESS_COOKIE,
        issued.access,
        max_age=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path="/",
        **cookie_settings(),
    )
    response.set_cookie(
        REFRESH_COOKIE,
        str(issued.refresh),
        max_age=int(settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=REFRESH_PATH,
        **cookie_settings(),
    )
    rotate_token(request)


def clear_auth_cookies(response) -> None:
    samesite = settings.COOKIE_SAMESITE
    response.delete_cookie(ACCESS_COOKIE, path="/", samesite=samesite)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH, samesite=samesite)
