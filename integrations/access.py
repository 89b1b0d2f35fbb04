"""Who may read /metrics: a bearer token (METRICS_TOKEN) or an address in the allow-list."""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings

from security.services import client_ip


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def allowed_networks() -> tuple:
    """METRICS_ALLOWED_IPS as networks (an address is a /32 or /128)."""
    return _networks(tuple(settings.METRICS_ALLOWED_IPS))


def token_matches(request) -> bool:
    """True when the request carries `Authorization: Bearer <METRICS_TOKEN>` (constant time)."""
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def address_allowed(request) -> bool:
    ip = client_ip(request)
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in network for network in allowed_networks())
