"""The one rate limiter: rate strings, and counting requests in cache windows.

Rates are parsed by django-ratelimit's own parser, so a rate means the same here and in
django-ratelimit. Two ways to count, one rule: `enforce()` (django-ratelimit's get_usage,
one window per key: the auth endpoints, accounts/ratelimits.py) and `hit_all()` (several
fixed windows in one Redis call: the API-wide limits, security/ratelimit.py, and the
audit cap). Counters live in the Django cache (Redis) and grow atomically, so several web
processes share one budget; each window has its own key, so a key that outlives its window
is never read again.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django_ratelimit.core import _split_rate, get_usage

from .errors import RateLimited

_UNIT_NAMES = {86400: "day", 3600: "hour", 60: "minute", 1: "second"}
# What django-ratelimit's parser reads: count / [n] unit (s, m, h, d; "hour" reads as h).
_RATE = re.compile(r"\d+/\d*[smhd][a-z]*")


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    def __str__(self) -> str:
        """ "5 per minute", "3 per 15 minutes": the limit as error messages state it."""
        unit = next(u for u in _UNIT_NAMES if self.seconds % u == 0)
        n, name = self.seconds // unit, _UNIT_NAMES[unit]
        return f"{self.limit} per {name}" if n == 1 else f"{self.limit} per {n} {name}s"


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
    text = "".join(text.split()).lower()
    if not _RATE.fullmatch(text):
        raise ValueError(f"bad rate {text!r}: use e.g. 100/m or 1000/h")
    return Rate(*_split_rate(text))


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


def enforce(request, *, group: str, rate: str, key) -> None:
    """Count this request in its django-ratelimit window; raise RateLimited (429) past `rate`.

    key: "ip", or a callable (group, request) -> str, as django-ratelimit takes it.
    """
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    if usage and usage["should_limit"]:
        retry_after = max(1, int(usage["time_left"]))
        raise RateLimited(
            retry_after=retry_after, retryAfter=retry_after, limit=str(parse_rate(rate))
        )
