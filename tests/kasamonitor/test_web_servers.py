"""The web process under each supported ASGI server: uvicorn (the default) and daphne
(WEB_SERVER=daphne) serve the same application, HTTP and WebSocket, plain and over TLS."""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from contextlib import contextmanager

import aiohttp
import pytest
from asgiref.sync import sync_to_async

from devices import events
from tests import live
from tests.auth import access_token_for
from tests.factories import UserFactory
from tests.security.pki import pair

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

INSECURE = ssl.create_default_context()
INSECURE.check_hostname, INSECURE.verify_mode = False, ssl.CERT_NONE


@contextmanager
def _serving(tmp_path, server: str, tls: bool):
    if tls:
        (tmp_path / "ssl").mkdir()
        cert, key = pair()
        (tmp_path / "ssl" / "cert.pem").write_bytes(cert)
        (tmp_path / "ssl" / "key.pem").write_bytes(key)
    port, log = live.free_port(), tmp_path / "web.log"
    env = live.web_env(port, WEB_SERVER=server, KASA_DATA_DIR=str(tmp_path))
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    with live.running(live.WEB_ARGS, env, log) as proc:

        def up():
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(url + "/health/live", timeout=1, context=INSECURE) as r:
                    return r.status == 200
            except OSError:
                return False

        live.wait_until(up, timeout=30, what=f"the web process under {server}")
        yield url


@pytest.mark.asyncio
@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("server", ["uvicorn", "daphne"])
async def test_each_server_answers_http_and_carries_live_updates(tmp_path, server, tls):
    user = await sync_to_async(UserFactory)(username=f"web-{server}", role="viewer")
    token = await sync_to_async(access_token_for)(user)
    with _serving(tmp_path, server, tls) as url:
        socket_url = url.replace("http", "ws", 1) + f"/ws/devices/?token={token}"
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/api/health", ssl=INSECURE) as response:
                assert response.status == 200  # through Django's whole middleware chain
                assert "Server" not in response.headers
            async with http.ws_connect(socket_url, headers={"Origin": url}, ssl=INSECURE) as ws:
                await ws.send_json({"event": "subscribe_all"})
                assert (await ws.receive_json(timeout=10))["event"] == "subscribed"
                await sync_to_async(events.send_device_update)("127.0.0.70", {"power_w": 3.5})
                async with asyncio.timeout(10):
                    while (body := await ws.receive_json())["event"] != "device_update":
                        pass
    assert body == {"event": "device_update", "device_ip": "127.0.0.70", "data": {"power_w": 3.5}}


def test_an_unknown_server_name_stops_the_web_process_with_a_reason(tmp_path):
    log = tmp_path / "web.log"
    env = live.web_env(live.free_port(), WEB_SERVER="gunicorn", KASA_DATA_DIR=str(tmp_path))
    with live.running(live.WEB_ARGS, env, log) as proc:
        assert proc.wait(timeout=30) != 0
    assert "WEB_SERVER must be one of uvicorn, daphne" in log.read_text()
