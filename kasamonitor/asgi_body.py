"""Request bodies are counted as they arrive, and refused past their route's limit.

Django's ASGI handler reads a whole body (spooling it to a temporary file) before any
middleware runs, so a body sent without a Content-Length (chunked) of any size — /dev/zero
piped to curl — used to be written to disk in full before the 413. This wrapper sits in
front of Django: a declared length over the limit is answered at once, and a body that
grows past it is answered with the 413 as soon as it does; Django then sees the client go
away and stops reading. The limits are kasamonitor.middleware.body_limit's.
"""

from __future__ import annotations

from .asgi_health import HEADERS
from .middleware import body_limit, too_large


async def _answer(send, response) -> None:
    # Sent before Django runs: the security headers /health's fast path sends, by hand.
    headers = [
        *HEADERS,
        (b"content-length", str(len(response.content)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})


class BodyLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        limit = body_limit(scope.get("path", ""), content_type)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await _answer(send, too_large(limit))
        received = 0
        refused = False

        async def counted_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _answer(send, too_large(limit))
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        await self.app(scope, counted_receive, send)
