"""The API-wide rate limit: per client IP and per signed-in user, in fixed cache windows
(kasamonitor/ratelimit.py counts them), with X-RateLimit-* headers on every API answer."""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings

from kasamonitor.errors import RateLimited, error_response
from kasamonitor.ratelimit import Window, parse_rate, take_all

from .services import audit_record, client_ip

logger = logging.getLogger("kasamonitor.security")


def user_key(request) -> str | None:
    """Return the user id from a valid access token (header or cookie), without a query."""
    # Lazily: accounts imports DRF views. Tokens signed with previous keys count too.
    from accounts.authentication import ACCESS_COOKIE, token_user_id

    header = request.headers.get("Authorization", "")
    raw = header[7:].strip() if header.startswith("Bearer ") else request.COOKIES.get(ACCESS_COOKIE)
    return token_user_id(raw) if raw else None


def _applies(path: str) -> bool:
    return path.startswith(settings.API_RATE_LIMIT_PATHS) and not path.startswith(
        settings.API_RATE_LIMIT_EXEMPT
    )


def count_request(request) -> list[Window]:
    """Count the request against the per-IP and (when signed in) per-user limits."""
    hits = [("ip", client_ip(request) or "-", parse_rate(settings.API_RATE_LIMIT_PER_IP))]
    user = user_key(request)
    if user:
        hits.append(("user", user, parse_rate(settings.API_RATE_LIMIT_PER_USER)))
    return take_all(hits)


def too_many(window: Window):
    retry_after = max(1, math.ceil(window.wait or window.reset - time.time()))
    response = error_response(
        429,
        RateLimited.error_code,
        RateLimited.message,
        error=RateLimited.error,
        retry_after=retry_after,
        retryAfter=retry_after,  # security-api.md's spelling
        limit=str(window.rate),
    )
    response["Retry-After"] = str(retry_after)
    return response


def _audit_limited(request, window: Window) -> None:
    audit_record(
        "security.rate_limited",
        request=request,
        outcome="failure",
        severity="warning",
        details={"path": request.path[:200], "limit": str(window.rate)},
    )


class RateLimitMiddleware:
    """Answer 429 past API_RATE_LIMIT_PER_IP / _PER_USER; X-RateLimit-* on every API answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _applies(request.path):
            return self.get_response(request)
        try:
            windows = count_request(request)
        except Exception:  # noqa: BLE001 (a cache outage must not take the API down: fail open)
            logger.warning("rate limit cache unavailable", exc_info=True)
            return self.get_response(request)
        exceeded = [w for w in windows if w.exceeded]
        if exceeded:
            shown = max(exceeded, key=lambda w: w.reset)
            if shown.first_refusal:  # audit once per client and wait
                _audit_limited(request, shown)
            response = too_many(shown)
        else:
            shown = min(windows, key=lambda w: (w.remaining, w.reset))
            response = self.get_response(request)
        response["X-RateLimit-Limit"] = str(shown.rate.limit)
        response["X-RateLimit-Remaining"] = str(shown.remaining)
        response["X-RateLimit-Reset"] = str(shown.reset)
        return response
