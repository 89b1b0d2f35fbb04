"""Live events over Socket.IO at /socket.io/, as kasa-monitor-api.md shows them.

The second transport of the one publisher (devices.events.send_many): each web process runs
one `Bridge` that listens on the channel layer like a native socket's consumer does, and
emits every event to the Socket.IO clients of this process that asked for it. Same events,
same bodies, same rules as /ws/devices/ (devices/consumers.py):

- authentication by the Socket.IO `auth` payload (`{"token": "<access token>"}`) or the
  access cookie; a token in the URL is never read (query strings end up in logs);
- `subscribe_device` / `unsubscribe_device` `{device_ip}`, `subscribe_all`, answered with
  `subscribed` / `unsubscribed` events; `device_update` and `device_status` events carry
  the native socket's bodies;
- a client is disconnected when its login session ends or its access token expires (it
  gets a `session_ended` event first), and counts against WS_MAX_CONNECTIONS.

Long-polling keeps a client's state in the web process that accepted it: with
WEB_WORKERS > 1 use the websocket transport, or a proxy with sticky sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import urlsplit

import engineio.packet
import socketio
import socketio.packet
from channels.layers import get_channel_layer
from django.conf import settings
from django.http.request import validate_host

from accounts import ws_auth

from . import consumers
from .events import ALL_DEVICES

logger = logging.getLogger(__name__)

ALL_ROOM = "all"


def device_room(device_ip: str) -> str:
    return f"device:{device_ip}"


def _origin_allowed(origin: str | None, environ: dict) -> bool:
    """Browsers' Origin, checked as the native socket checks it: a host of ALLOWED_HOSTS,
    or one of CORS_ALLOWED_ORIGINS. Clients that send none (scripts) are let through."""
    if not origin:
        return True
    if origin in settings.CORS_ALLOWED_ORIGINS or settings.CORS_ALLOW_ALL_ORIGINS:
        return True
    host = urlsplit(origin).netloc.rsplit("@", 1)[-1]
    return bool(host) and validate_host(host.split(":")[0], settings.ALLOWED_HOSTS)


CONNECT_WITHIN = 10  # seconds an Engine.IO session may stay without an authenticated client


class _Server(socketio.AsyncServer):
    """Engine.IO sessions are opened before any authentication: one that does not become an
    authenticated Socket.IO client within CONNECT_WITHIN seconds is closed, and no more than
    WS_MAX_CONNECTIONS may be open at once, so anonymous sessions cannot pile up."""

    async def _handle_eio_connect(self, eio_sid, environ):
        if len(self.environ) >= settings.WS_MAX_CONNECTIONS:
            return False  # Engine.IO refuses the session
        await super()._handle_eio_connect(eio_sid, environ)
        asyncio.get_running_loop().call_later(
            CONNECT_WITHIN, lambda: asyncio.ensure_future(self._drop_if_anonymous(eio_sid))
        )

    async def _drop_if_anonymous(self, eio_sid):
        if eio_sid in self.environ and self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            await self.eio.disconnect(eio_sid)


sio = _Server(
    async_mode="asgi",
    cors_allowed_origins=_origin_allowed,
    logger=False,
    engineio_logger=False,
)


class Bridge:
    """This process's one listener on the channel layer for its Socket.IO clients."""

    def __init__(self):
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.members: dict[str, set[str]] = {}  # auth group -> sids it ends
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self._starting: asyncio.Lock | None = None

    async def start(self) -> None:
        # Clients connect at once (a burst of reconnects after a restart): one bridge only,
        # or every event would reach every client twice.
        self._starting = self._starting or asyncio.Lock()
        async with self._starting:
            if self.task is not None and not self.task.done():
                return
            layer = get_channel_layer()
            self.channel = await layer.new_channel()
            await layer.group_add(ALL_DEVICES, self.channel)
            for group in self.members:
                await layer.group_add(group, self.channel)
            self.task = asyncio.ensure_future(self._listen(layer))

    async def _listen(self, layer) -> None:
        while True:
            message = await layer.receive(self.channel)
            try:
                if message.get("type") == "device.events":
                    await self._emit(message)
                elif message.get("type") == ws_auth.SESSION_ENDED:
                    await self._end(message.get("group", ""))
            except Exception:  # noqa: BLE001 (one bad message must not stop the bridge)
                logger.exception("Socket.IO bridge could not deliver a message")

    async def _emit(self, message: dict) -> None:
        # What sio.emit(event, to=rooms) does, once for the whole poll: each event encoded
        # once, then queued for its clients in order. sio.emit would start a task per client
        # and event (five thousand per poll for 500 clients) and wake each client's writer
        # once per event; here each writer wakes once per poll and finds all its packets.
        queued: dict[str, list[engineio.packet.Packet]] = {}
        for device_ip, text in zip(message["device_ips"], message["texts"], strict=True):
            event = json.loads(text)  # once per process and event, for every client here
            encoded = sio.packet_class(socketio.packet.EVENT, namespace="/",
                                       data=[event["event"], event]).encode()  # fmt: skip
            packet = engineio.packet.Packet(engineio.packet.MESSAGE, encoded)
            rooms = [ALL_ROOM, device_room(device_ip)]
            for _sid, eio_sid in sio.manager.get_participants("/", rooms):
                queued.setdefault(eio_sid, []).append(packet)
        for eio_sid, packets in queued.items():
            for packet in packets:
                await sio.eio.send_packet(eio_sid, packet)

    async def join(self, sid: str, groups: list[str], seconds_left: float) -> None:
        layer = get_channel_layer()
        for group in groups:
            if group not in self.members and self.channel:
                await layer.group_add(group, self.channel)  # before it counts as joined
            self.members.setdefault(group, set()).add(sid)
        loop = asyncio.get_running_loop()
        self.timers[sid] = loop.call_later(
            seconds_left, lambda: asyncio.ensure_future(self.end_client(sid))
        )

    async def leave(self, sid: str) -> None:
        timer = self.timers.pop(sid, None)
        if timer:
            timer.cancel()
        layer = get_channel_layer()
        for group in [g for g, sids in self.members.items() if sid in sids]:
            self.members[group].discard(sid)
            if not self.members[group]:
                del self.members[group]
                if self.channel:
                    with contextlib.suppress(Exception):  # Redis may be what failed
                        await layer.group_discard(group, self.channel)

    async def _end(self, group: str) -> None:
        for sid in list(self.members.get(group, ())):
            await self.end_client(sid)

    async def end_client(self, sid: str) -> None:
        """The client's session ended or its token expired: say so, then disconnect."""
        await sio.emit("session_ended", {"event": "session_ended", "code": 4401}, to=sid)
        await sio.disconnect(sid)


bridge = Bridge()


@sio.event
async def connect(sid, environ, auth):
    token = auth.get("token") if isinstance(auth, dict) else None
    scope = {"headers": _headers(environ), "query_string": b""}  # never a token in the URL
    user, session = await ws_auth.authenticate_socket(token, scope)
    if not user.is_authenticated:
        raise socketio.exceptions.ConnectionRefusedError(
            {"message": "Authentication required.", "code": 4401}
        )
    socket_scope = {"user": user, "auth": session}
    try:
        await bridge.start()
        await bridge.join(sid, ws_auth.groups_of(socket_scope), ws_auth.seconds_left(socket_scope))
    except Exception as exc:  # Redis away: as the native socket's 503
        logger.exception("Socket.IO client could not join the live events")
        await bridge.leave(sid)
        raise socketio.exceptions.ConnectionRefusedError(
            {"message": "Live updates are unavailable right now; try again shortly.", "code": 1013}
        ) from exc
    # Counted after the last await, so the check and the count cannot be split.
    if consumers.Sockets.open >= settings.WS_MAX_CONNECTIONS:
        await bridge.leave(sid)
        raise socketio.exceptions.ConnectionRefusedError(
            {"message": "Too many live connections; try again later.", "code": 1013}
        )
    consumers.Sockets.open += 1
    await sio.save_session(sid, {"counted": True})


@sio.event
async def disconnect(sid, reason=None):
    stored = await sio.get_session(sid)
    if stored.get("counted"):
        consumers.Sockets.open -= 1
    await bridge.leave(sid)


@sio.event
async def subscribe_all(sid, data=None):
    await sio.enter_room(sid, ALL_ROOM)
    await sio.emit("subscribed", {"event": "subscribed", "target": "all"}, to=sid)


@sio.event
async def subscribe_device(sid, data=None):
    device_ip = _device_ip(data)
    if device_ip is None:
        return await _malformed(sid)
    await sio.enter_room(sid, device_room(device_ip))
    await sio.emit("subscribed", {"event": "subscribed", "target": device_ip}, to=sid)


@sio.event
async def unsubscribe_device(sid, data=None):
    device_ip = _device_ip(data)
    if device_ip is None:
        return await _malformed(sid)
    await sio.leave_room(sid, device_room(device_ip))
    await sio.emit("unsubscribed", {"event": "unsubscribed", "target": device_ip}, to=sid)


def _device_ip(data) -> str | None:
    device_ip = data.get("device_ip") if isinstance(data, dict) else None
    return device_ip if isinstance(device_ip, str) and device_ip else None


async def _malformed(sid) -> None:
    await sio.emit("error", {"event": "error", "message": "Unknown or malformed event."}, to=sid)


def _headers(environ: dict) -> list[tuple[bytes, bytes]]:
    cookie = environ.get("HTTP_COOKIE", "")
    return [(b"cookie", cookie.encode("latin-1"))] if cookie else []


def asgi_app(other_app):
    """/socket.io/ served by python-socketio; everything else by `other_app`."""
    return socketio.ASGIApp(sio, other_asgi_app=other_app, socketio_path="socket.io")
