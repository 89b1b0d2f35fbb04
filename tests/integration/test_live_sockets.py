"""Live sockets against the real web process (uvicorn) and the real channel layer (Redis).

Events are published the way the worker publishes them (devices.events.send_many, from this
process), and read by an aiohttp WebSocket client, as a browser's dashboard would.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager

import aiohttp
import pytest
from asgiref.sync import sync_to_async

from devices import events
from tests import live
from tests.auth import access_token_for
from tests.factories import UserFactory
from tests.support import PASSWORD

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
]


async def _socket_url(live_server_url: str, username: str) -> str:
    user = await sync_to_async(UserFactory)(username=username, role="viewer")
    token = await sync_to_async(access_token_for)(user)
    return live_server_url.replace("http://", "ws://") + f"/ws/devices/?token={token}"


async def _next_update(ws, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, f"socket ended: {message}"
            body = message.json()
            if body["event"] == "device_update":
                return body


async def test_a_socket_left_idle_for_a_minute_still_receives_the_next_update(live_server_url):
    """A dashboard whose devices are polled rarely keeps its socket: nothing on the server
    side may time out while a socket waits (issue 17 item 1: the channel layer's blocking
    read raced redis-py's 5-s socket timeout and killed the consumer)."""
    url = await _socket_url(live_server_url, "idle-viewer")
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"Origin": live_server_url}, heartbeat=None) as ws,
    ):
        await ws.send_json({"event": "subscribe_all"})
        assert (await ws.receive_json(timeout=10))["event"] == "subscribed"

        # A dashboard between two polls: it reads (answering the server's pings, as a
        # browser does) and nothing arrives for a minute — above all no close.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(60):
                message = await ws.receive()
            pytest.fail(f"the idle socket got {message}")

        await sync_to_async(events.send_device_update)("127.0.0.50", {"current_power_w": 12.5})
        update = await _next_update(ws)

    assert update == {
        "event": "device_update",
        "device_ip": "127.0.0.50",
        "data": {"current_power_w": 12.5},
    }


async def test_a_polls_events_arrive_one_per_message_in_order_and_only_as_subscribed(
    live_server_url,
):
    """A poll publishes its events together and the web process writes each socket's share
    in one go (kasamonitor/ws_protocol.py): still one event per WebSocket message, in the
    poll's order, and a socket subscribed to one device gets that device's events only."""
    url = await _socket_url(live_server_url, "poll-order-viewer")
    poll = [
        events.DeviceUpdate(event="device_update", device_ip=f"127.0.0.{70 + n % 2}",
                            data={"current_power_w": float(n)})
        for n in range(6)
    ]  # fmt: skip
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"Origin": live_server_url}) as everything,
        http.ws_connect(url, headers={"Origin": live_server_url}) as one_device,
    ):
        await everything.send_json({"event": "subscribe_all"})
        await one_device.send_json({"event": "subscribe_device", "device_ip": "127.0.0.71"})
        for ws in (everything, one_device):
            assert (await ws.receive_json(timeout=10))["event"] == "subscribed"

        await sync_to_async(events.send_many)(poll)

        got_all = [await _next_update(everything) for _ in range(6)]
        got_one = [await _next_update(one_device) for _ in range(3)]
        await asyncio.sleep(0.3)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await _next_update(one_device)

    assert got_all == poll
    assert got_one == [event for event in poll if event["device_ip"] == "127.0.0.71"]


async def test_live_sockets_are_not_compressed_even_when_the_browser_offers_it(live_server_url):
    """Browsers offer permessage-deflate; compressing every small event once per socket
    would multiply a poll's CPU by the number of dashboards, so the server declines."""
    url = await _socket_url(live_server_url, "deflate-viewer")
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"Origin": live_server_url}, compress=15) as ws,
    ):
        await ws.send_json({"event": "subscribe_all"})
        assert (await ws.receive_json(timeout=10))["event"] == "subscribed"
        assert ws.compress == 0


# -- a socket lives no longer than its login session -------------------------------------


async def _login(http, live_server_url: str, username: str) -> dict:
    """A new login session (accounts' own service: the API login's 5/min limit is not
    what these tests are about)."""
    from accounts.models import User
    from accounts.sessions import session_start

    user = await sync_to_async(User.objects.get)(username=username)
    issued = await sync_to_async(session_start)(user, ip="127.0.0.1", user_agent="pytest")
    return {
        "access_token": issued.access,
        "session_id": issued.session.public_id,
        "user_id": user.pk,
    }


async def _subscribed_socket(http, live_server_url: str, token: str):
    url = live_server_url.replace("http://", "ws://") + f"/ws/devices/?token={token}"
    ws = await http.ws_connect(url, headers={"Origin": live_server_url})
    await ws.send_json({"event": "subscribe_all"})
    assert (await ws.receive_json(timeout=10))["event"] == "subscribed"
    return ws


async def _close_code(ws, timeout: float = 5) -> int | None:
    """Read until the server closes the socket (live events may still arrive before)."""
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return ws.close_code


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def _logout(http, url, me, admin):
    return await http.post(f"{url}/api/auth/logout", headers=_bearer(me["access_token"]))


async def _revoked_from_another_session(http, url, me, admin):
    other = await _login(http, url, "socketeer")
    session_id = me["session_id"]
    return await http.delete(
        f"{url}/api/auth/sessions/{session_id}", headers=_bearer(other["access_token"])
    )


async def _logout_everywhere(http, url, me, admin):
    return await http.post(f"{url}/api/security/logout", headers=_bearer(me["access_token"]))


async def _password_changed_elsewhere(http, url, me, admin):
    # The user changes the password in another session: every other session ends.
    other = await _login(http, url, "socketeer")
    return await http.post(
        f"{url}/api/auth/change-password",
        json={
            "currentPassword": PASSWORD,
            "newPassword": "N3w!Passw0rd-x",
            "confirmPassword": "N3w!Passw0rd-x",
        },
        headers=_bearer(other["access_token"]),
    )


async def _disabled(http, url, me, admin):
    return await http.patch(
        f"{url}/api/users/{me['user_id']}",
        json={"is_active": False},
        headers=_bearer(admin["access_token"]),
    )


async def _deleted(http, url, me, admin):
    return await http.delete(
        f"{url}/api/users/{me['user_id']}", headers=_bearer(admin["access_token"])
    )


@pytest.mark.parametrize(
    "end_session",
    [
        _logout,
        _logout_everywhere,
        _revoked_from_another_session,
        _password_changed_elsewhere,
        _disabled,
        _deleted,
    ],
    ids=["logout", "everywhere", "revoked", "password-changed", "user-disabled", "user-deleted"],
)
async def test_an_open_socket_is_closed_with_4401_when_its_session_ends(
    live_server_url, end_session
):
    await sync_to_async(UserFactory)(username="socketeer", role="viewer", password=PASSWORD)
    await sync_to_async(UserFactory)(username="socketadmin", role="admin", password=PASSWORD)
    async with aiohttp.ClientSession() as http:
        me = await _login(http, live_server_url, "socketeer")
        admin = await _login(http, live_server_url, "socketadmin")
        ws = await _subscribed_socket(http, live_server_url, me["access_token"])
        bystander = await _subscribed_socket(http, live_server_url, admin["access_token"])

        response = await end_session(http, live_server_url, me, admin)
        assert response.status in (200, 204), await response.text()

        assert await _close_code(ws) == 4401
        # Others' sockets are untouched and still get live data.
        await sync_to_async(events.send_device_update)("127.0.0.51", {"current_power_w": 3.0})
        assert (await _next_update(bystander))["device_ip"] == "127.0.0.51"
        await bystander.close()


async def test_a_socket_is_closed_with_4401_when_its_access_token_expires(live_server_url):
    from datetime import timedelta

    from accounts.sessions import session_start

    user = await sync_to_async(UserFactory)(username="shortlived", role="viewer")
    issued = await sync_to_async(session_start)(user, ip="127.0.0.1", user_agent="pytest")
    access = issued.refresh.access_token
    access.set_exp(lifetime=timedelta(seconds=3))
    async with aiohttp.ClientSession() as http:
        ws = await _subscribed_socket(http, live_server_url, str(access))
        started = asyncio.get_running_loop().time()
        assert await _close_code(ws, timeout=10) == 4401
        assert asyncio.get_running_loop().time() - started < 5


# -- never a 500 at the door ---------------------------------------------------------------


@contextmanager
def _web_process(tmp_path, **env: str):
    """One more web process of our own (settings the session's live server doesn't have)."""
    import urllib.request

    port = live.free_port()
    log = tmp_path / "web.log"
    with live.running(live.WEB_ARGS, live.web_env(port, **env), log) as proc:
        url = f"http://127.0.0.1:{port}"

        def up():
            assert proc.poll() is None, log.read_text()
            try:
                return urllib.request.urlopen(url + "/health/live", timeout=1).status == 200
            except OSError:
                return False

        live.wait_until(up, timeout=30, what="the web process")
        yield url, log


async def _refused_handshake(http, url: str, token: str) -> tuple[int, dict, dict]:
    socket_url = url.replace("http://", "ws://") + f"/ws/devices/?token={token}"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(socket_url, headers={"Origin": url})
    # The refusal's body: read it with a plain GET carrying the same upgrade headers.
    headers = {
        "Origin": url,
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    async with http.get(socket_url.replace("ws://", "http://"), headers=headers) as response:
        return refused.value.status, dict(response.headers), await response.json()


async def test_past_the_ceiling_a_handshake_gets_503_with_retry_after(tmp_path):
    token = await sync_to_async(access_token_for)(
        await sync_to_async(UserFactory)(username="crowd", role="viewer")
    )
    with _web_process(tmp_path, WS_MAX_CONNECTIONS="2") as (url, _log):
        async with aiohttp.ClientSession() as http:
            first = await _subscribed_socket(http, url, token)
            second = await _subscribed_socket(http, url, token)

            status, headers, body = await _refused_handshake(http, url, token)
            assert status == 503
            assert headers["Retry-After"] == "30"
            assert body["error_code"] == "TOO_MANY_CONNECTIONS" and body["status_code"] == 503

            await first.close()  # a place frees up: the next dashboard gets in
            await asyncio.sleep(0.2)
            third = await _subscribed_socket(http, url, token)
            await sync_to_async(events.send_device_update)("127.0.0.52", {"current_power_w": 1.0})
            for ws in (second, third):
                assert (await _next_update(ws))["device_ip"] == "127.0.0.52"
                await ws.close()


async def test_without_its_channel_layer_a_handshake_gets_503_not_500(tmp_path):
    token = await sync_to_async(access_token_for)(
        await sync_to_async(UserFactory)(username="nolayer", role="viewer")
    )
    nothing_listens = f"redis://127.0.0.1:{live.free_port()}/0"
    with _web_process(tmp_path, REDIS_URL=nothing_listens) as (url, log):
        async with aiohttp.ClientSession() as http:
            status, headers, body = await _refused_handshake(http, url, token)
    assert status == 503 and headers["Retry-After"] == "30"
    assert body["error_code"] == "LIVE_EVENTS_UNAVAILABLE"
    lines = log.read_text()
    # One line (with its traceback) per refused handshake: the helper made two.
    assert lines.count("Live socket failed: /ws/devices/") == 2
    assert "without completing handshake" not in lines and "Internal Server Error" not in lines


async def test_a_failure_inside_an_open_socket_closes_it_with_1011(live_server_url):
    from channels.layers import get_channel_layer

    url = await _socket_url(live_server_url, "brokenfeed")
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, headers={"Origin": live_server_url})
        await ws.send_json({"event": "subscribe_all"})
        assert (await ws.receive_json(timeout=10))["event"] == "subscribed"
        # A message the consumer cannot handle (here: a batch without its events).
        await get_channel_layer().group_send(events.ALL_DEVICES, {"type": "device.events"})
        assert await _close_code(ws) == 1011


async def test_no_token_or_signature_reaches_the_web_process_log(tmp_path):
    token = await sync_to_async(access_token_for)(
        await sync_to_async(UserFactory)(username="logged", role="viewer")
    )
    signature = "s1gnature-of-a-download-link"
    with _web_process(tmp_path, LOG_LEVEL="INFO") as (url, log):
        async with aiohttp.ClientSession() as http:
            ws = await _subscribed_socket(http, url, token)
            await ws.close()
            async with http.get(f"{url}/download/{signature}") as response:
                assert response.status in (400, 401, 403, 404, 410)
            async with http.get(f"{url}/reset-password?token={signature}") as response:
                pass
        await asyncio.sleep(0.5)
        lines = log.read_text()
    assert "/ws/devices/?token=[redacted]" in lines  # the line is there, its secret is not
    assert token not in lines and token.split(".")[2] not in lines
    assert signature not in lines


async def test_with_two_web_processes_every_socket_gets_each_update_exactly_once(tmp_path):
    import psutil

    token = await sync_to_async(access_token_for)(
        await sync_to_async(UserFactory)(username="twoprocs", role="viewer")
    )
    with _web_process(tmp_path, WEB_WORKERS="2") as (url, _log):
        port = int(url.rsplit(":", 1)[1])
        server = next(p for p in psutil.process_iter(["cmdline"])
                      if "kasamonitor.serve" in " ".join(p.info["cmdline"] or [])
                      and p.children() and str(port) in str(p.environ().get("PORT")))  # fmt: skip

        def sockets_per_process() -> list[int]:
            counts = []
            for child in server.children():  # the web processes, and multiprocessing's helper
                mine = [c for c in child.net_connections("tcp") if c.laddr.port == port]
                if any(c.status == "LISTEN" for c in mine):
                    counts.append(sum(1 for c in mine if c.status == "ESTABLISHED"))
            return counts

        # limit=0: aiohttp's default pool (100) would make the 101st socket wait for ever.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            sockets = []
            while len(sockets) < 200 and min(sockets_per_process(), default=0) < 3:
                sockets += await asyncio.gather(
                    *(_subscribed_socket(http, url, token) for _ in range(10))
                )
            counts = sockets_per_process()
            assert len(counts) == 2 and min(counts) >= 3, counts  # both processes hold sockets

            for n in range(3):
                await sync_to_async(events.send_device_update)(
                    "127.0.0.60", {"current_power_w": float(n)}
                )
            for ws in sockets:
                got = [(await _next_update(ws))["data"]["current_power_w"] for _ in range(3)]
                assert got == [0.0, 1.0, 2.0]
            # ...and nothing twice: no socket has a fourth update waiting.
            await asyncio.sleep(0.5)
            for ws in sockets:
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.01):
                        await _next_update(ws)
                await ws.close()


async def test_with_require_https_live_sockets_are_refused_over_plain_http(tmp_path):
    import socketio

    from system.models import SystemConfig

    token = await sync_to_async(access_token_for)(
        await sync_to_async(UserFactory)(username="plainsocket", role="viewer")
    )
    await sync_to_async(SystemConfig.objects.update_or_create)(
        pk=1, defaults={"require_https": True}
    )
    with _web_process(tmp_path) as (url, _log):
        async with aiohttp.ClientSession() as http:
            status, _headers, body = await _refused_handshake(http, url, token)
        assert status == 403 and body["error_code"] == "HTTPS_REQUIRED"
        # Socket.IO's first request (Engine.IO long-polling) gets the same answer...
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{url}/socket.io/?EIO=4&transport=polling") as polling,
        ):
            assert polling.status == 403
            assert (await polling.json())["error_code"] == "HTTPS_REQUIRED"
        # ...so a Socket.IO client cannot connect. python-engineio's client closes its
        # session before it reads the refusal's body: when the body comes in a TCP segment
        # of its own (a loaded machine) it fails with RuntimeError instead of its
        # ConnectionError. Either way it is refused.
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises((socketio.exceptions.ConnectionError, RuntimeError)):
            await client.connect(url, auth={"token": token}, wait_timeout=10)
