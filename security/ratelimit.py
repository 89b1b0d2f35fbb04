"""The API-wide rate limit: per client IP and per signed-in user, in fixed cache windows.

Counters live in the Django cache (Redis) and grow with INCR, which is atomic, so several
web processes share one budget. Each window has its own key, so a key that outlives its
window is never read again.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from kasamonitor.errors import RateLimited, error_response

from .services import audit_record, client_ip

logger = logging.getLogger("kasamonitor.security")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_NAMES = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.limit} per {_UNIT_NAMES.get(self.seconds, f'{self.seconds} seconds')}"


@dataclass(frozen=True)
class Window:
    rate: Rate
    count: int
    reset: int  # epoch seconds when the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.rate.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.rate.limit


def parse_rate(text: str) -> Rate:
    """Parse "100/m", "1000/h", "5/15m" or "10/hour" (count / [n] unit of s, m, h or d)."""
    count, _, period = text.strip().partition("/")
    match = re.fullmatch(r"(\d*)([smhd])[a-z]*", period.strip().lower())
    if not (count.strip().isdigit() and match):
        raise ValueError(f"bad rate {text!r}: use e.g. 100/m or 1000/h")
    return Rate(int(count), int(match[1] or 1) * _UNITS[match[2]])


# Start each window with its expiry (SET NX EX), then count (INCR keeps the expiry); the
# values stay plain integers, as cache.incr()/cache.get() keep them.
_HIT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[i], 'NX')
  counts[i] = redis.call('INCR', key)
end
return counts
"""
_hit_script = None


def hit_all(hits: list[tuple[str, str, Rate]], now: float | None = None) -> list[Window]:
    """Count one request in each (scope, ident, rate) window, in one Redis call.

    One script call (EVALSHA) instead of a pipeline: redis-py builds a new pipeline with a
    copy of its ~170 response callbacks each time, which was half the CPU of a small API
    request.
    """
    global _hit_script
    now = time.time() if now is None else now
    client = cache._cache.get_client(write=True)  # the cache's own pool and key prefix
    if _hit_script is None:
        _hit_script = client.register_script(_HIT_SCRIPT)
    keys, expiries, resets = [], [], []
    for scope, ident, rate in hits:
        start = int(now // rate.seconds) * rate.seconds
        keys.append(
            cache.make_and_validate_key(f"ratelimit:{scope}:{ident}:{rate.seconds}:{start}")
        )
        expiries.append(rate.seconds + 5)
        resets.append(start + rate.seconds)
    counts = _hit_script(keys=keys, args=expiries, client=client)
    return [
        Window(rate, count, reset)
        for (_, _, rate), count, reset in zip(hits, counts, resets, strict=True)
    ]


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
    return hit_all(hits)


def too_many(window: Window):
    retry_after = max(1, math.ceil(window.reset - time.time()))
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
            if shown.count == shown.rate.limit + 1:  # audit once per client and window
                _audit_limited(request, shown)
            response = too_many(shown)
        else:
            shown = min(windows, key=lambda w: (w.remaining, w.reset))
            response = self.get_response(request)
        response["X-RateLimit-Limit"] = str(shown.rate.limit)
        response["X-RateLimit-Remaining"] = str(shown.remaining)
        response["X-RateLimit-Reset"] = str(shown.reset)
        return response
