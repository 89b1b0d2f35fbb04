"""uvicorn's WebSocket protocol with one ASGI extension: several text frames, one write.

A poll's events reach every live socket in one burst: a thousand sockets times a dozen
frames each. Sent as ASGI `websocket.send` messages, each frame is one system call (and one
TCP send in the kernel). A consumer that finds SEND_MANY in its scope's "extensions" may
send {"type": SEND_MANY, "texts": [...]} instead: the same frames, in the same order, framed
here and written to the socket at once. Servers without it (daphne, Channels' test
communicator) get one websocket.send per frame. docs/performance.md, "Live sockets", has the
figures.
"""

from __future__ import annotations

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

from kasamonitor.asgi_sockets import SEND_MANY


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, plus SEND_MANY."""

    def handle_connect(self, event) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][SEND_MANY] = {}

    async def send(self, message) -> None:
        if message["type"] != SEND_MANY:
            return await super().send(message)
        await self.writable.wait()  # the socket's back-pressure, as for websocket.send
        if self.disconnected or self.close_sent:
            raise ClientDisconnected()
        if not self.handshake_complete:
            raise RuntimeError(f"{SEND_MANY} before the WebSocket was accepted")
        try:
            for text in message["texts"]:
                self.conn.send_text(text.encode())
        except InvalidState as exc:
            raise ClientDisconnected() from exc
        self.transport.write(b"".join(self.conn.data_to_send()))
