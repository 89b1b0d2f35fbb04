"""Every WebSocket ends with an answer: the guard around the socket routes (kasamonitor/asgi.py).

Whatever fails while a socket is served (Redis away during the handshake's authentication or
the channel layer's subscription, a handler's bug), the client gets a code and the server
log one line: before the handshake is accepted an HTTP 503 with Retry-After and the error
body (never the 500 an ASGI server answers for an exception), after it a close frame 1011.
"""

from __future__ import annotations

import json
import logging

from .errors import error_body

logger = logging.getLogger("kasamonitor.sockets")

CLOSE_SERVER_ERROR = 1011  # RFC 6455: the server met a condition it could not handle
RETRY_AFTER_SECONDS = 30
# An ASGI extension of our uvicorn protocol (kasamonitor/ws_protocol.py): several text
# frames in one message, written to the socket at once. Sent only when the scope lists it.
SEND_MANY = "kasamonitor.websocket.send_many"


async def refuse_handshake(send, code: str, message: str) -> None:
    """Answer a WebSocket handshake with HTTP 503 + Retry-After instead of the upgrade
    (the ASGI "websocket.http.response" extension, which uvicorn supports)."""
    body = json.dumps(error_body(503, code, message, retry_after=RETRY_AFTER_SECONDS)).encode()
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})


class SocketGuard:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        state = {"answered": False, "accepted": False}

        async def tracking_send(message):
            kind = message["type"]
            if kind == "websocket.accept":
                state["accepted"] = True
            if kind in ("websocket.accept", "websocket.close", "websocket.http.response.start"):
                state["answered"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if _client_gone(exc):
                return  # the client went away while we were sending: nothing failed
            logger.exception("Live socket failed: %s", scope.get("path", ""))
        else:
            if state["answered"]:
                return
            logger.error("Live socket ended without an answer: %s", scope.get("path", ""))
        try:
            if state["accepted"]:
                await send({"type": "websocket.close", "code": CLOSE_SERVER_ERROR})
            elif not state["answered"]:
                await refuse_handshake(
                    send,
                    "LIVE_EVENTS_UNAVAILABLE",
                    "Live updates are unavailable right now; try again shortly.",
                )
        except Exception:  # noqa: BLE001 (the client may already be gone)
            logger.debug("Could not tell the client its socket failed", exc_info=True)


def _client_gone(exc: Exception) -> bool:
    # uvicorn raises ClientDisconnected for a send after the client closed the connection.
    return type(exc).__name__ == "ClientDisconnected" or isinstance(exc, ConnectionError)


class HttpsOnlySockets:
    """With require_https on, live sockets are refused over plain HTTP as pages are
    (security.headers.HttpsRequiredMiddleware covers only what reaches Django): the native
    socket at /ws/ and Socket.IO at /socket.io/ carry an access token in their handshake.
    Behind a proxy, the scheme is what a trusted proxy says (uvicorn's proxy headers)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if _plain_socket(scope) and await _https_required():
            body = json.dumps(
                error_body(
                    403,
                    "HTTPS_REQUIRED",
                    "This server takes requests over HTTPS only (require_https).",
                )
            ).encode()
            kind = "websocket.http.response" if scope["type"] == "websocket" else "http.response"
            headers = [(b"content-type", b"application/json"),
                       (b"content-length", str(len(body)).encode())]  # fmt: skip
            await send({"type": f"{kind}.start", "status": 403, "headers": headers})
            await send({"type": f"{kind}.body", "body": body})
            return
        await self.app(scope, receive, send)


def _plain_socket(scope) -> bool:
    if scope["type"] == "websocket":
        return scope.get("scheme", "ws") == "ws"
    return (
        scope["type"] == "http"
        and scope.get("path", "").startswith("/socket.io/")
        and scope.get("scheme", "http") == "http"
    )


async def _https_required() -> bool:
    from channels.db import database_sync_to_async

    from system.selectors import https_required

    return await database_sync_to_async(https_required)()
