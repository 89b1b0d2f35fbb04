"""Reads of the system configuration that every app may call."""

from __future__ import annotations

import math
import time

from django.db import DatabaseError

from .models import SystemConfig


def system_config() -> SystemConfig:
    """Return the configuration row (created with the defaults the first time)."""
    return SystemConfig.load()


_HTTPS_MEMO_SECONDS = 5.0
_https_memo: tuple[float, bool] | None = None  # (when read, require_https)


def https_required() -> bool:
    """SystemConfig.require_https, read at most every 5 s per process: every request asks.

    A change through system_config_update is seen at once by the process that made it, and
    within 5 s by the others.
    """
    global _https_memo
    memo, now = _https_memo, time.monotonic()
    if memo is None or now - memo[0] > _HTTPS_MEMO_SECONDS:  # read at inf: kept for good
        try:
            row = SystemConfig.objects.filter(pk=1).values_list("require_https", flat=True)
            memo = _https_memo = (now, bool(row.first()))
        except DatabaseError:  # nothing works without the database; keep what we knew
            return bool(memo and memo[1])
    return memo[1]


def https_required_reset(known: bool | None = None) -> None:
    """Forget the remembered value (read it again next time), or remember `known` for good
    until the next reset (the tests start each test from the default, off)."""
    global _https_memo
    _https_memo = None if known is None else (math.inf, known)
