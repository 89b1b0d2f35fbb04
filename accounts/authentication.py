"""JWT authentication from the Authorization header or the HTTP-only access cookie."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"


def _enforce_csrf(request) -> None:
    """Cookie-authenticated unsafe requests must carry the CSRF token (header clients need not)."""

    def dummy_get_response(request):  # pragma: no cover - never called
        return None

    check = CSRFCheck(dummy_get_response)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        err = exceptions.PermissionDenied(f"CSRF check failed: {reason}")
        err.context = {"reason": "csrf"}
        raise err


class JWTAuthentication(SimpleJWTAuthentication):
    def authenticate(self, request):
        header = self.get_header(request)
        if header is not None:
            return super().authenticate(request)
        raw = request.COOKIES.get(ACCESS_COOKIE)
        if not raw:
            return None
        validated = self.get_validated_token(raw)
        user = self.get_user(validated)
        _enforce_csrf(request)
        return user, validated

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def cookie_settings() -> dict:
    return {
        "httponly": True,
        "secure": settings.COOKIE_SECURE,
        "samesite": settings.COOKIE_SAMESITE,
    }
