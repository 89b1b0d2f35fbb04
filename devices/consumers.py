"""The live-events WebSocket: /ws/devices/ (protocol in docs/devices.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts import ws_auth
from kasamonitor.asgi_sockets import SEND_MANY, refuse_handshake

from .events import ALL_DEVICES


class Sockets:
    """Live sockets open in this web process (native and Socket.IO), against
    WS_MAX_CONNECTIONS."""

    open = 0


class DeviceConsumer(AsyncJsonWebsocketConsumer):
    joined: list[str] = []
    counted = False
    expiry: asyncio.TimerHandle | None = None

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            # kasamonitor.asgi_sockets answers the client; here the socket stops counting.
            with contextlib.suppress(Exception):  # Redis may be the part that failed
                await self._forget()
            raise

    async def connect(self):
        user = self.scope.get("user")
        if not (user and user.is_authenticated):
            await self.close(code=ws_auth.CLOSE_UNAUTHORISED)
            return
        if Sockets.open >= settings.WS_MAX_CONNECTIONS:
            await refuse_handshake(
                self.base_send,
                "TOO_MANY_CONNECTIONS",
                "This server has as many live connections as it takes; try again later.",
            )
            return
        Sockets.open += 1
        self.counted = True
        self.device_ips: set[str] = set()
        self.everything = False
        # One shared group for events (filtered here, per socket) and the groups that end
        # the socket with its login session.
        self.joined = [ALL_DEVICES, *ws_auth.groups_of(self.scope)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.expiry = asyncio.get_running_loop().call_later(
            ws_auth.seconds_left(self.scope), self._expire
        )

    async def dispatch(self, message):
        # Channels runs close_old_connections() in its one thread-sensitive thread before
        # every message; no handler here touches the database, and with a thousand sockets
        # those thread hops queued one behind the other (about 0.5 ms each: half a second
        # between a poll and its last socket).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code):
        await self._forget()

    async def _forget(self):
        if self.expiry is not None:
            self.expiry.cancel()
            self.expiry = None
        if self.counted:
            Sockets.open -= 1
            self.counted = False
        joined, self.joined = self.joined, []
        for group in joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    def _expire(self):
        self.expiry = None
        asyncio.ensure_future(self.close(code=ws_auth.CLOSE_UNAUTHORISED))

    async def session_ended(self, message):
        await self.close(code=ws_auth.CLOSE_UNAUTHORISED)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None  # answered as a malformed event below

    async def receive_json(self, content, **kwargs):
        event = content.get("event") if isinstance(content, dict) else None
        device_ip = content.get("device_ip") if isinstance(content, dict) else None
        has_ip = isinstance(device_ip, str) and bool(device_ip)
        if event == "subscribe_all":
            self.everything = True
        elif event == "subscribe_device" and has_ip:
            self.device_ips.add(device_ip)
        elif event == "unsubscribe_device" and has_ip:
            self.device_ips.discard(device_ip)
        else:
            await self.send_json({"event": "error", "message": "Unknown or malformed event."})
            return
        answer = "unsubscribed" if event == "unsubscribe_device" else "subscribed"
        await self.send_json({"event": answer, "target": device_ip or "all"})

    async def device_events(self, message):
        # A poll's batch (devices.events.send_many): straight to the server's send, each
        # event already JSON. With a thousand sockets per poll every layer skipped counts:
        # where the server takes them (kasamonitor.ws_protocol), all of this socket's frames
        # go in one write.
        texts = [
            text
            for device_ip, text in zip(message["device_ips"], message["texts"], strict=True)
            if self.everything or device_ip in self.device_ips
        ]
        if not texts:
            return
        if SEND_MANY in self.scope.get("extensions", ()):
            await self.base_send({"type": SEND_MANY, "texts": texts})
            return
        for text in texts:
            await self.base_send({"type": "websocket.send", "text": text})
