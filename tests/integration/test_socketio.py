"""Live events over Socket.IO at /socket.io/ (kasa-monitor-api.md), against the real web
process: python-socketio's client, and the npm socket.io-client package driven by a script
written from the spec's snippet (tests/js_clients/spec_client.js)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import socketio
from asgiref.sync import sync_to_async

from devices import events
from tests.auth import access_token_for
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
]
JS_CLIENTS = Path(__file__).resolve().parents[1] / "js_clients"


async def _token(username: str) -> str:
    user = await sync_to_async(UserFactory)(username=username, role="viewer")
    return await sync_to_async(access_token_for)(user)


class Recorder:
    """A python-socketio client that keeps every event it gets, in order."""

    def __init__(self):
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue = asyncio.Queue()
        for name in ("subscribed", "unsubscribed", "device_update", "device_status",
                     "session_ended", "error"):  # fmt: skip
            self.client.on(name, self._keeper(name))
        self.client.on("disconnect", self._keeper("disconnect"))

    def _keeper(self, name):
        async def keep(*args):
            await self.events.put((name, args[0] if args else None))

        return keep

    async def next(self, name: str, timeout: float = 10):
        async with asyncio.timeout(timeout):
            while True:
                got, data = await self.events.get()
                if got == name:
                    return data


async def test_a_socketio_client_receives_the_events_it_subscribed_to(live_server_url):
    token = await _token("sio-viewer")
    recorder = Recorder()
    await recorder.client.connect(live_server_url, auth={"token": token}, wait_timeout=10)
    try:
        await recorder.client.emit("subscribe_device", {"device_ip": "127.0.0.80"})
        assert await recorder.next("subscribed") == {"event": "subscribed", "target": "127.0.0.80"}
        await sync_to_async(events.send_device_update)("127.0.0.81", {"current_power_w": 1.0})
        await sync_to_async(events.send_device_update)("127.0.0.80", {"current_power_w": 45.2})
        update = await recorder.next("device_update")
        assert update == {
            "event": "device_update",
            "device_ip": "127.0.0.80",
            "data": {"current_power_w": 45.2},
        }  # the spec's body, the same as the native socket's
        await recorder.client.emit("subscribe_all")
        await recorder.next("subscribed")
        await sync_to_async(events.send_device_status)(
            "127.0.0.82", "offline", "2026-01-01T00:00:00Z"
        )
        status = await recorder.next("device_status")
        assert status["device_ip"] == "127.0.0.82" and status["status"] == "offline"
    finally:
        await recorder.client.disconnect()


async def test_the_websocket_transport_and_the_access_cookie_work_too(live_server_url):
    token = await _token("sio-cookie")
    recorder = Recorder()
    await recorder.client.connect(
        live_server_url,
        headers={"Cookie": f"access_token={token}"},
        transports=["websocket"],
        wait_timeout=10,
    )
    try:
        await recorder.client.emit("subscribe_all")
        await recorder.next("subscribed")
        await sync_to_async(events.send_device_update)("127.0.0.83", {"current_power_w": 2.0})
        assert (await recorder.next("device_update"))["device_ip"] == "127.0.0.83"
    finally:
        await recorder.client.disconnect()


@pytest.mark.parametrize("how", ["no token", "token in the URL", "forged token"])
async def test_a_client_without_a_valid_token_is_refused(live_server_url, how):
    token = await _token(f"sio-refused-{how.split()[0]}")
    client = socketio.AsyncClient(reconnection=False)
    url, auth = live_server_url, None
    if how == "token in the URL":
        url = f"{live_server_url}?token={token}"  # never read: URLs end up in logs
    elif how == "forged token":
        auth = {"token": token[:-4] + "AAAA"}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth=auth, wait_timeout=10)


async def test_logging_out_disconnects_the_client(live_server_url):
    import aiohttp

    token = await _token("sio-logout")
    recorder = Recorder()
    await recorder.client.connect(live_server_url, auth={"token": token}, wait_timeout=10)
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{live_server_url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 200
    assert await recorder.next("session_ended") == {"event": "session_ended", "code": 4401}
    await recorder.next("disconnect")
    assert not recorder.client.connected


async def test_the_npm_socketio_client_written_from_the_spec_receives_updates(live_server_url):
    node = shutil.which("node")
    assert node and (JS_CLIENTS / "node_modules" / "socket.io-client").is_dir(), (
        "run `npm ci --prefix tests/js_clients` (make test does)"
    )
    token = await _token("sio-npm")
    client = await asyncio.create_subprocess_exec(
        node, str(JS_CLIENTS / "spec_client.js"), live_server_url, "127.0.0.84",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    client.stdin.write(token.encode() + b"\n")
    await client.stdin.drain()

    async def next_line(name: str) -> dict:
        async with asyncio.timeout(15):
            while True:
                line = await client.stdout.readline()
                assert line, (await client.stderr.read()).decode()
                event = json.loads(line)
                assert event["on"] != "connect_error", event
                if event["on"] == name:
                    return event["data"]

    try:
        await next_line("subscribed")
        await sync_to_async(events.send_device_update)("127.0.0.84", {"current_power_w": 7.5})
        update = await next_line("device_update")
        assert update["device_ip"] == "127.0.0.84" and update["data"]["current_power_w"] == 7.5
    finally:
        client.stdin.close()
        await asyncio.wait_for(client.wait(), 10)


async def test_clients_connecting_at_once_each_get_every_event_exactly_once(live_server_url):
    token = await _token("sio-burst")
    recorders = [Recorder() for _ in range(8)]
    await asyncio.gather(
        *(r.client.connect(live_server_url, auth={"token": token}, transports=["websocket"],
                           wait_timeout=10) for r in recorders)
    )  # fmt: skip
    try:
        for recorder in recorders:
            await recorder.client.emit("subscribe_all")
            await recorder.next("subscribed")
        await sync_to_async(events.send_device_update)("127.0.0.85", {"current_power_w": 3.5})
        for recorder in recorders:
            assert (await recorder.next("device_update"))["device_ip"] == "127.0.0.85"
        await asyncio.sleep(0.5)
        for recorder in recorders:  # nothing twice
            assert all(name != "device_update" for name, _ in _drain(recorder.events))
    finally:
        await asyncio.gather(*(r.client.disconnect() for r in recorders))


def _drain(queue: asyncio.Queue) -> list:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_refused_connections_while_redis_is_away_do_not_use_up_the_places(tmp_path):
    """Clients retrying during an outage must not count against WS_MAX_CONNECTIONS: once
    Redis is back, dashboards get in."""
    from kasamonitor.embedded_redis import EmbeddedRedis
    from tests import live
    from tests.integration.test_live_sockets import _subscribed_socket, _web_process

    token = await _token("sio-outage")
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.port = live.free_port()
    redis.workdir.mkdir(parents=True)
    try:
        assert await sync_to_async(redis._launch)()
        with _web_process(tmp_path, REDIS_URL=redis.url, WS_MAX_CONNECTIONS="2") as (url, _log):
            first = Recorder()  # the process's bridge to the channel layer starts with it
            await first.client.connect(url, auth={"token": token}, wait_timeout=10)
            await first.client.disconnect()
            redis.stop()  # Redis goes away; dashboards keep trying
            for _ in range(5):
                client = socketio.AsyncClient(reconnection=False)
                with pytest.raises(socketio.exceptions.ConnectionError):
                    await client.connect(url, auth={"token": token}, transports=["websocket"],
                                         wait_timeout=10)  # fmt: skip
            assert await sync_to_async(redis._launch)()  # Redis is back, on the same port
            recorder = Recorder()
            await recorder.client.connect(url, auth={"token": token}, wait_timeout=10)
            import aiohttp

            async with aiohttp.ClientSession() as http:
                native = await _subscribed_socket(http, url, token)  # the second place
                await native.close()
            await recorder.client.disconnect()
    finally:
        redis.stop()


async def test_an_engineio_session_that_never_authenticates_is_closed(live_server_url):
    """An anonymous client may open the transport, not keep it: without an authenticated
    Socket.IO connect it is closed after CONNECT_WITHIN seconds."""
    import engineio

    from devices.socketio_server import CONNECT_WITHIN

    raw = engineio.AsyncClient()
    closed = asyncio.Event()
    raw.on("disconnect", lambda *_: closed.set())
    await raw.connect(live_server_url, engineio_path="socket.io", transports=["websocket"])
    try:
        async with asyncio.timeout(CONNECT_WITHIN + 5):
            await closed.wait()
    finally:
        await raw.disconnect()
