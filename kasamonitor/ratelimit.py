"""The one rate limiter: rate strings, and counting requests in the cache (Redis).

Rates are parsed by django-ratelimit's own parser, so a rate means the same here and in
django-ratelimit. Three ways to count, one rule:
- `take_all()`: the API-wide limits (security/ratelimit.py), a **rolling** allowance: "1000
  per hour" comes back steadily, one request's worth every 3.6 s (the generic cell rate
  algorithm: each key holds the moment its allowance is fully back), and a refused request
  costs nothing. A client loop that spends the hour's allowance in minutes waits seconds
  for its next request, never the rest of a fixed window (a household was refused for
  38 minutes that way);
- `enforce()`: django-ratelimit's get_usage, one fixed window per key: the guessable
  endpoints (login, reset, 2FA: accounts/login_limits), where a long wait is the point;
- `hit_all()`: several fixed windows in one Redis call: the audit cap (security/services.py).
Everything lives in Redis and changes atomically (one script call), so several web
processes share one budget.
"""

from __future__ import annotations

import math
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
    count: int  # requests counted, this one included (rate.limit + 1: refused)
    reset: int  # epoch seconds: the window's end; for a rolling allowance, when it is whole
    # again, or when a refused client may ask again
    first_refusal: bool = False  # the first refusal of this client's wait (audited once)
    wait: float = 0.0  # seconds until a refused client may ask again (rolling allowances)

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


# Generic cell rate algorithm over every key at once: each key holds the moment (ms) its
# allowance is whole again (its "theoretical arrival time"); a request is let through when
# every key has room for one more (tat + interval - period <= now) and then moves each
# key's moment on by one interval; otherwise nothing changes and the wait is returned, with
# whether this is the first refusal of that wait (a marker key lives as long as the wait).
_TAKE_SCRIPT = """
local now = tonumber(ARGV[1])
local tats, intervals, periods, refused = {}, {}, {}, false
for i, key in ipairs(KEYS) do
  local period, limit = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local tat = math.max(tonumber(redis.call('GET', key) or 0), now)
  tats[i], intervals[i], periods[i] = tat, period / limit, period
  if tat + intervals[i] - period > now then refused = true end
end
local out = {}
for i, key in ipairs(KEYS) do
  local tat, interval, period = tats[i], intervals[i], periods[i]
  if refused then
    local wait = math.max(0, math.ceil(tat + interval - period - now))
    local first = 0
    if wait > 0 and redis.call('SET', key .. ':refused', 1, 'PX', wait, 'NX') then first = 1 end
    out[i] = {math.floor(tat), wait, first}
  else
    local new = math.ceil(tat + interval)
    redis.call('SET', key, string.format('%d', new), 'PX', new - now + 1000)
    out[i] = {new, 0, 0}
  end
end
return out
"""
_take_script = None


def take_all(hits: list[tuple[str, str, Rate]], now: float | None = None) -> list[Window]:
    """Take one request from each (scope, ident, rate) rolling allowance, in one Redis call:
    from all of them, or (refused) from none."""
    global _take_script
    now_ms = int((time.time() if now is None else now) * 1000)
    client = cache._cache.get_client(write=True)  # the cache's own pool and key prefix
    if _take_script is None:
        _take_script = client.register_script(_TAKE_SCRIPT)
    keys, args = [], [now_ms]
    for scope, ident, rate in hits:
        keys.append(cache.make_and_validate_key(f"ratelimit:{scope}:{ident}:{rate.limit}/{rate.seconds}"))  # fmt: skip
        args += [rate.seconds * 1000, rate.limit]
    windows = []
    for (_, _, rate), (tat, wait, first) in zip(hits, _take_script(keys=keys, args=args, client=client), strict=True):  # fmt: skip
        if wait:
            windows.append(Window(rate, rate.limit + 1, math.ceil((now_ms + wait) / 1000), bool(first), wait / 1000))  # fmt: skip
        else:
            interval = rate.seconds * 1000 / rate.limit
            used = min(rate.limit, math.ceil((tat - now_ms) / interval - 1e-9))
            windows.append(Window(rate, used, math.ceil(tat / 1000)))
    return windows


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
