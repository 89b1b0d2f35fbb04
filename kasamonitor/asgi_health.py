"""Answer GET /health and /health/live at the ASGI layer, before Django's middleware stack.

Probes hit these every few seconds and need nothing but a live process; skipping the
middleware (each sync middleware costs a thread hop under ASGI) keeps them well under a
millisecond. /health/ready still goes through Django: it checks the database and Redis.
"""

from __future__ import annotations

import json
import uuid

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


def _tls_headers(scope) -> list[tuple[bytes, bytes]]:
    from django.conf import settings

    if scope.get("scheme") != "https" or not settings.SECURE_HSTS_SECONDS:
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
        headers.append((b"x-request-id", uuid.uuid4().hex.encode()))
        headers.extend(_tls_headers(scope))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
