"""The network side: each emulated device's discovery socket and HTTP transport, on loopback.

Runs in one asyncio loop (see emulator.py for the thread that owns it). Every device has
its own loopback address: UDP 20002 answers discovery probes, an HTTP server on its port
speaks KLAP (``/app/handshake1``, ``/app/handshake2``, ``/app/request``) or AES
(``/app`` handshake + securePassthrough + ``login_device``). An optional listener on
127.255.255.255:20002 hands broadcast probes to every online device, which answers from
its own address, as a real plug answers a broadcast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import socket
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import crypto, tls
from .energy import Clock
from .iot_device import IotDevice
from .smart_device import Identity, SmartDevice

log = logging.getLogger(__name__)

DISCOVERY_PORT = 20002
LEGACY_PORT = 9999
BROADCAST_ADDRESS = "127.255.255.255"
DEFAULT_USERNAME = "owner@example.com"
DEFAULT_PASSWORD = "emulator-password"
ONE_DAY = 86400
SESSION_TIMEOUT_ERROR = 9999
LOGIN_ERROR = -1501
MAX_SESSIONS = 32


@dataclass
class DeviceSpec:
    """One device to emulate: a recording and where/how to serve it."""

    fixture: str  # a recording's file name without .json, e.g. "KP125M(US)_1.0_1.2.3"
    host: str = ""  # a 127.x.y.z address; SmartEmulator fills it from a free block
    alias: str | None = None
    # TCP port (HTTP for KLAP/AES, XOR for legacy devices). None: the device's usual one
    # (80, or 9999 for XOR) when it can be bound, else a free one; 0: a free one.
    port: int | None = None
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    load_w: float | None = None  # watts drawn while on (default: the recorded reading)
    page_size: int = 10  # child list entries per page
    session_timeout: int = ONE_DAY  # seconds, sent in the TIMEOUT cookie
    child_aliases: list[str] = field(default_factory=list)
    kind: str = "smart"  # "smart" or "iot" (the recording's folder)
    # KLAP over HTTPS (port 4433, self-signed certificate): None = as recorded (the
    # discovery answer's mgt_encrypt_schm.is_support_https); True on a recording without it
    # is OUR OVERRIDE (no energy plug recorded in python-kasa 0.12 has it): the discovery
    # answer then says is_support_https, and summary()["https_source"] says "override".
    https: bool | None = None
    # seconds an idle HTTP(S) connection stays open (aiohttp's default; devices may close
    # sooner, and the client must then open a new one, and a new TLS handshake on HTTPS)
    keepalive_timeout: float = 75.0


def recorded_https(fixture: dict[str, Any]) -> bool:
    """Whether the recording's discovery answer says the device serves HTTPS."""
    result = fixture.get("discovery_result") or {}
    scheme = result.get("result", result).get("mgt_encrypt_schm") or {}
    return bool(scheme.get("is_support_https"))


def _bind(kind: int, host: str, port: int, reuse: bool = True) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    try:
        if reuse:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def discovery_header(payload: bytes, serial: int) -> bytes:
    """The 16-byte header of a 20002 answer (python-kasa reads only what follows it)."""
    head = struct.pack(">BBHHBBI", 2, 0, 1, len(payload), 0x11, 0, serial)
    crc = zlib.crc32(head + b"\x5a\x6b\x7c\x8d" + payload)
    return head + struct.pack(">I", crc)


def xor_encrypt(plain: bytes) -> bytes:
    """The legacy protocol's autokey XOR (initial key 171)."""
    key, out = 171, bytearray()
    for byte in plain:
        key ^= byte
        out.append(key)
    return bytes(out)


def xor_decrypt(cipher: bytes) -> bytes:
    key, out = 171, bytearray()
    for byte in cipher:
        out.append(key ^ byte)
        key = byte
    return bytes(out)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Any) -> None:
        self.on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_datagram(data, addr)


@dataclass
class _Session:
    expires: float  # time.monotonic()
    klap: crypto.KlapSession | None = None
    aes: crypto.AesSession | None = None


class DeviceServer:
    """One emulated device on the network, with the counters tests assert on."""

    def __init__(self, spec: DeviceSpec, clock: Clock, fixture: dict[str, Any]) -> None:
        self.spec = spec
        self.clock = clock
        self.fixture = fixture
        self.host = spec.host
        self.http_port = 0
        self.recorded_https = recorded_https(fixture)
        self.https = self.recorded_https if spec.https is None else spec.https
        self.username, self.password = spec.username, spec.password
        self.online = False
        self.state: SmartDevice | IotDevice | None = None
        self.sessions: dict[str, _Session] = {}
        self.counters = {"handshakes": 0, "logins": 0, "failed_logins": 0, "requests": 0}
        # distinct client connections (TCP, TLS over it on HTTPS) that sent HTTP requests
        self.connections: set[Any] = set()
        self.boots = 0
        self._runner: web.AppRunner | None = None
        self._udp: list[asyncio.DatagramTransport] = []

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        sock = self._bind_tcp()
        self.http_port = sock.getsockname()[1]
        alias = self.spec.alias or f"{self.fixture_model()} {self.host}"
        identity = Identity.derive(self.host, self.http_port, alias, self.spec.fixture)
        if self.spec.kind == "iot":
            self.state = IotDevice(
                self.fixture,
                identity,
                self.clock,
                load_w=self.spec.load_w,
                child_aliases=self.spec.child_aliases,
            )
        else:
            self.state = SmartDevice(
                self.fixture,
                identity,
                self.clock,
                page_size=self.spec.page_size,
                load_w=self.spec.load_w,
                child_aliases=self.spec.child_aliases,
                https=self.https,
            )
            if self.https and self.state.encryption != "KLAP":
                sock.close()
                raise ValueError(
                    f"{self.spec.fixture}: only KLAP is served over HTTPS (AES over HTTPS is "
                    "another transport, SslTransport/SslAesTransport, not modelled)"
                )
        await self._go_online(sock)

    @property
    def is_xor(self) -> bool:
        if self.state is not None:
            return self.state.encryption == "XOR"
        return self.spec.kind == "iot" and "discovery_result" not in self.fixture

    def fixture_model(self) -> str:
        if "system" in self.fixture:
            return self.fixture["system"]["get_sysinfo"].get("model", "device").split("(")[0]
        result = self.fixture.get("discovery_result", {})
        return result.get("result", result).get("device_model", "device").split("(")[0]

    def _bind_tcp(self) -> socket.socket:
        port = self.spec.port
        if port is None:
            usual = LEGACY_PORT if self.is_xor else tls.HTTPS_PORT if self.https else 80
            try:
                return _bind(socket.SOCK_STREAM, self.host, usual)
            except OSError:
                port = 0
        return _bind(socket.SOCK_STREAM, self.host, port)

    async def _go_online(self, tcp_sock: socket.socket | None = None) -> None:
        loop = asyncio.get_running_loop()
        if tcp_sock is None:
            tcp_sock = _bind(socket.SOCK_STREAM, self.host, self.http_port)
        udp_port = LEGACY_PORT if self.is_xor else DISCOVERY_PORT
        udp_sock = _bind(socket.SOCK_DGRAM, self.host, udp_port)
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self._on_discovery), sock=udp_sock
        )
        self._udp = [transport]
        if self.is_xor:
            self._xor_server = await asyncio.start_server(self._xor_connection, sock=tcp_sock)
            self._xor_writers: set[asyncio.StreamWriter] = set()
            self.online = True
            self.boots += 1
            return
        app = web.Application(middlewares=[self._count_connection])
        app.router.add_post("/app/handshake1", self._klap_handshake1)
        app.router.add_post("/app/handshake2", self._klap_handshake2)
        app.router.add_post("/app/request", self._klap_request)
        app.router.add_post("/app", self._aes)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.1,
            keepalive_timeout=self.spec.keepalive_timeout,
        )
        await self._runner.setup()
        context = tls.server_context() if self.https else None
        await web.SockSite(self._runner, tcp_sock, ssl_context=context).start()
        self.online = True
        self.boots += 1

    @web.middleware
    async def _count_connection(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.transport is not None:
            self.connections.add(request.transport.get_extra_info("peername"))
        return await handler(request)

    async def set_https(self, on: bool) -> None:
        """A firmware update that turns HTTPS on (or off): the device reboots serving KLAP on
        its usual port for the scheme (4433 / 80, or a free one; DeviceSpec.port pins it)
        and says so in its discovery answer. Sessions are gone; relays, counters and
        identity (MAC, device id) are kept."""
        if not isinstance(self.state, SmartDevice) or self.state.encryption != "KLAP":
            raise ValueError("only a KLAP device switches to HTTPS here")
        await self.go_offline()
        self.sessions.clear()
        self.https = on
        sock = self._bind_tcp()
        self.http_port = sock.getsockname()[1]
        scheme = self.state.discovery["result"]["mgt_encrypt_schm"]
        scheme.update(is_support_https=on, http_port=self.http_port)
        await self._go_online(sock)

    async def go_offline(self) -> None:
        """Stop answering: close sockets and drop connections (connection refused)."""
        self.online = False
        for transport in self._udp:
            transport.close()
        self._udp = []
        if getattr(self, "_xor_server", None) is not None:
            self._xor_server.close()
            for writer in list(self._xor_writers):
                writer.close()
            self._xor_server = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def go_online(self) -> None:
        if not self.online:
            await self._go_online()

    async def restart(self) -> None:
        """A reboot: sessions are gone, the relays keep their state."""
        await self.go_offline()
        self.sessions.clear()
        await self._go_online()

    def set_credentials(self, username: str, password: str) -> None:
        """The owner's account changed: new credentials, every session invalidated."""
        self.username, self.password = username, password
        self.sessions.clear()

    def expire_sessions(self) -> None:
        self.sessions.clear()

    # -- discovery -----------------------------------------------------------------------

    def discovery_answer(self, probe: bytes) -> bytes | None:
        if self.state is None:
            return None
        if self.is_xor:
            assert isinstance(self.state, IotDevice)
            try:
                json.loads(xor_decrypt(probe))
            except ValueError:
                return None
            return xor_encrypt(json.dumps(self.state.discovery_sysinfo()).encode())
        if len(probe) < 16 or probe[0] != 2:
            return None
        payload = json.dumps(self.state.discovery).encode()
        serial = struct.unpack(">I", probe[8:12])[0]
        return discovery_header(payload, serial) + payload

    def _on_discovery(self, data: bytes, addr: tuple[str, int]) -> None:
        self.answer_probe(data, addr)

    def answer_probe(self, data: bytes, addr: tuple[str, int]) -> None:
        """Answer a probe from our own address (also used for forwarded broadcasts)."""
        if not self.online or not self._udp:
            return
        answer = self.discovery_answer(data)
        if answer is not None:
            self._udp[0].sendto(answer, addr)

    # -- XOR (legacy TCP: 4-byte length + autokey XOR) ----------------------------------

    async def _xor_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._xor_writers.add(writer)
        try:
            while True:
                header = await reader.readexactly(4)
                body = await reader.readexactly(struct.unpack(">I", header)[0])
                try:
                    message = json.loads(xor_decrypt(body))
                except ValueError:
                    break
                answer = xor_encrypt(json.dumps(self._dispatch(message)).encode())
                writer.write(struct.pack(">I", len(answer)) + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._xor_writers.discard(writer)
            writer.close()

    # -- sessions ------------------------------------------------------------------------

    @property
    def klap_version(self) -> int:
        """python-kasa's choice: v2 for SMART devices and login version 2, else v1."""
        assert self.state is not None
        family = self.state.family
        lv = self.state.login_version
        return 2 if family.startswith("SMART.") or (lv or 0) >= 2 else 1

    def _new_session(self, session: _Session) -> tuple[str, str]:
        while len(self.sessions) >= MAX_SESSIONS:
            self.sessions.pop(next(iter(self.sessions)))
        sid = secrets.token_hex(16).upper()
        self.sessions[sid] = session
        self.counters["handshakes"] += 1
        cookie = f"TP_SESSIONID={sid};TIMEOUT={self.spec.session_timeout}"
        return sid, cookie

    def _session(self, request: web.Request) -> _Session | None:
        sid = request.cookies.get("TP_SESSIONID")
        session = self.sessions.get(sid or "")
        if session is not None and session.expires <= time.monotonic():
            self.sessions.pop(sid or "", None)
            return None
        return session

    def _expiry(self) -> float:
        return time.monotonic() + self.spec.session_timeout

    # -- KLAP ----------------------------------------------------------------------------

    def _is_klap(self) -> bool:
        return self.state is not None and self.state.encryption == "KLAP"

    async def _klap_handshake1(self, request: web.Request) -> web.StreamResponse:
        local_seed = await request.read()
        if not self._is_klap() or len(local_seed) != 16:
            return web.Response(status=400)
        version = self.klap_version
        auth = crypto.klap_auth_hash(self.username, self.password, version)
        remote_seed = secrets.token_bytes(16)
        session = crypto.KlapSession(local_seed, remote_seed, auth, version)
        _, cookie = self._new_session(_Session(self._expiry(), klap=session))
        body = remote_seed + crypto.klap_server_hash(local_seed, remote_seed, auth, version)
        return web.Response(body=body, headers={"Set-Cookie": cookie})

    async def _klap_handshake2(self, request: web.Request) -> web.StreamResponse:
        payload = await request.read()
        session = self._session(request)
        if session is None or session.klap is None or not session.klap.check_handshake2(payload):
            return web.Response(status=403)
        session.klap.established = True
        return web.Response()

    async def _klap_request(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        session = self._session(request)
        if session is None or session.klap is None or not session.klap.established:
            return web.Response(status=403)
        try:
            seq = int(request.query["seq"])
            plaintext = session.klap.decrypt(seq, body)
            message = json.loads(plaintext)
        except (KeyError, ValueError):
            return web.Response(status=400)
        answer = self._dispatch(message)
        return web.Response(body=session.klap.encrypt(seq, json.dumps(answer).encode()))

    # -- AES -----------------------------------------------------------------------------

    async def _aes(self, request: web.Request) -> web.StreamResponse:
        if self._is_klap():
            return web.Response(status=404)
        try:
            message = json.loads(await request.read())
            method, params = message["method"], message.get("params") or {}
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error_code": -1003})
        if method == "handshake":
            session = crypto.AesSession()
            try:
                key = session.key_for(params["key"])
            except (KeyError, TypeError, ValueError):
                return web.json_response({"error_code": -1010})
            _, cookie = self._new_session(_Session(self._expiry(), aes=session))
            return web.json_response(
                {"error_code": 0, "result": {"key": key}}, headers={"Set-Cookie": cookie}
            )
        if method != "securePassthrough":
            return web.json_response({"error_code": -1002})
        session = self._session(request)
        if session is None or session.aes is None:
            return web.json_response({"error_code": SESSION_TIMEOUT_ERROR})
        try:
            inner = json.loads(session.aes.decrypt(params["request"]))
        except (KeyError, TypeError, ValueError):
            return web.json_response({"error_code": -1005})
        answer = self._aes_inner(session.aes, inner, request.query.get("token"))
        if answer is None:
            return web.json_response({"error_code": SESSION_TIMEOUT_ERROR})
        encrypted = session.aes.encrypt(json.dumps(answer).encode())
        return web.json_response({"error_code": 0, "result": {"response": encrypted}})

    def _aes_inner(self, session: crypto.AesSession, inner: Any, token: str | None) -> Any:
        if isinstance(inner, dict) and inner.get("method") == "login_device":
            params = inner.get("params") or {}
            version = self.state.login_version if self.state else None
            if not crypto.aes_login_matches(params, self.username, self.password, version):
                self.counters["failed_logins"] += 1
                return {"error_code": LOGIN_ERROR}
            self.counters["logins"] += 1
            session.token = secrets.token_hex(16).upper()
            return {"error_code": 0, "result": {"token": session.token}}
        if session.token is None or token != session.token:
            return None  # not logged in on this session: the device says the session ended
        return self._dispatch(inner)

    # -- requests ------------------------------------------------------------------------

    def _dispatch(self, message: Any) -> dict[str, Any]:
        self.counters["requests"] += 1
        if isinstance(self.state, IotDevice):
            return self.state.handle(message)
        if not isinstance(message, dict) or not isinstance(message.get("method"), str):
            return {"error_code": -1003}
        assert self.state is not None
        return self.state.call(message["method"], message.get("params"))

    # -- for the control surface ---------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        state = self.state
        assert state is not None
        return {
            "fixture": self.spec.fixture,
            "host": self.host,
            "http_port": self.http_port,
            "https": self.https,
            # "recording": as recorded; "override": set by DeviceSpec.https, not recorded
            "https_source": "recording" if self.https == self.recorded_https else "override",
            "model": state.model,
            "family": state.family,
            "encryption": state.encryption,
            "login_version": state.login_version,
            "klap_version": self.klap_version if state.encryption == "KLAP" else None,
            "mac": state.identity.mac,
            "device_id": state.identity.device_id,
            "alias": state.identity.alias,
            "username": self.username,
            "password": self.password,
            "online": self.online,
            "children": [
                {"device_id": state.child(i).device_id, "on": state.child(i).outlet.on}
                for i in range(len(state.children))
            ],
            **self.counters,
            "connections": len(self.connections),
            "sessions": len(self.sessions),
            "boots": self.boots,
        }


class BroadcastListener:
    """127.255.255.255 on 20002 and 9999: hands each broadcast probe to every online
    device listening on that port, which answers from its own address."""

    def __init__(self, devices: dict[str, DeviceServer], address: str = BROADCAST_ADDRESS):
        self.devices = devices
        self.address = address
        self.transports: list[asyncio.DatagramTransport] = []

    async def start(self, ports: tuple[int, ...] = (DISCOVERY_PORT, LEGACY_PORT)) -> None:
        loop = asyncio.get_running_loop()
        for port in ports:
            sock = _bind(socket.SOCK_DGRAM, self.address, port)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            transport, _ = await loop.create_datagram_endpoint(
                lambda port=port: _Udp(lambda data, addr: self._forward(port, data, addr)),
                sock=sock,
            )
            self.transports.append(transport)

    def _forward(self, port: int, data: bytes, addr: tuple[str, int]) -> None:
        for device in list(self.devices.values()):
            if (LEGACY_PORT if device.is_xor else DISCOVERY_PORT) == port:
                device.answer_probe(data, addr)

    def close(self) -> None:
        for transport in self.transports:
            with contextlib.suppress(Exception):
                transport.close()
        self.transports = []
