"""Answer GET /health and /health/live at the ASGI layer, before Channels and Django.

Probes hit these every few seconds and need nothing but a live process; skipping the
middleware (each sync middleware costs a thread hop under ASGI) keeps them to a few tens
of microseconds. /health/ready still goes through Django: it checks the database and Redis.
"""

from __future__ import annotations

import json
import random
from functools import cache

FAST_PATHS = {"/health": "health_payload", "/health/live": "live_payload"}
HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_ids = random.Random()  # seeded from os.urandom once; a request id is a label, not a secret


def _request_id() -> bytes:
    return b"%032x" % _ids.getrandbits(128)  # the shape of RequestIdMiddleware's uuid4().hex


def _tls_headers(scope) -> list[tuple[bytes, bytes]]:
    return _hsts_header() if scope.get("scheme") == "https" else []


@cache
def _hsts_header() -> list[tuple[bytes, bytes]]:
    from django.conf import settings

    if not settings.SECURE_HSTS_SECONDS:
        return []
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    return [(b"strict-transport-security", value.encode())]


class HealthFastPath:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        name = FAST_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if name is None or scope.get("method") not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        from . import health

        body = json.dumps(getattr(health, name)()).encode()
        headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
        headers.append((b"x-request-id", _request_id()))
        headers.extend(_tls_headers(scope))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
