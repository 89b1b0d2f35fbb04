"""Rate limits of the auth endpoints (kasamonitor/ratelimit.py: django-ratelimit on the
shared cache) and the per-account login back-off. Each raises kasamonitor.errors.RateLimited
(429 + Retry-After).

Every form that checks a password (API login, admin login, the API's and the admin's
password change, turning 2FA off with the password) goes through password_guard() first
and reports the outcome with password_checked(): one per-IP limit and one back-off per
account, whichever door is knocked on."""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from kasamonitor import ratelimit
from kasamonitor.errors import RateLimited

from .backends import find_user


def _user_key(group, request) -> str:
    return str(request.user.pk)


def enforce(request, name: str, *, per_user: bool = False) -> None:
    """Count this request against settings.AUTH_RATE_LIMITS[name]; raise a 429 when over."""
    rate = settings.AUTH_RATE_LIMITS[name]
    key = _user_key if per_user else "ip"
    ratelimit.enforce(request, group=f"accounts.{name}", rate=rate, key=key)


# Per-account back-off: after LOGIN_BACKOFF["after"] failures in a row, each further failure
# doubles the wait (from "base" seconds up to "max"); a successful login clears it.


def _keys(account: str) -> tuple[str, str]:
    return f"accounts:login-failures:{account}", f"accounts:login-locked:{account}"


def login_backoff_check(account: str) -> None:
    until = cache.get(_keys(account)[1])
    if until and until > time.time():
        retry_after = math.ceil(until - time.time())
        raise RateLimited(
            "Too many failed logins for this account. Please try again later.",
            retry_after=retry_after,
            retryAfter=retry_after,
        )


def login_failed(account: str) -> None:
    failures_key, locked_key = _keys(account)
    policy = settings.LOGIN_BACKOFF
    cache.add(failures_key, 0, policy["window"])
    failures = cache.incr(failures_key)
    if failures >= policy["after"]:
        wait = min(policy["base"] * 2 ** (failures - policy["after"]), policy["max"])
        cache.set(locked_key, time.time() + wait, wait)


def login_succeeded(account: str) -> None:
    cache.delete_many(list(_keys(account)))


def account_key(identifier: str) -> str:
    """The back-off key of a login name: the user's id, or the name itself when unknown."""
    account = find_user(identifier)
    if account:
        return str(account.pk)
    name = (identifier or "").strip().lower()  # whatever was typed: hashed into a tidy key
    return "name:" + hashlib.sha256(name.encode()).hexdigest()[:32]


def password_guard(request, account: str) -> None:
    """Before checking a password: the per-IP login limit, then the account's back-off."""
    if request is not None:
        enforce(request, "login")
    login_backoff_check(account)


def password_checked(account: str, ok: bool) -> bool:
    """Record the outcome of a password check for the account's back-off; return `ok`."""
    (login_succeeded if ok else login_failed)(account)
    return ok
