"""End to end: the web process (uvicorn) + a real Celery worker + Redis + a simulated plug on loopback.

An operator asks for a poll over HTTP; the worker polls the simulator, writes the reading
and the browser-side WebSocket (aiohttp, speaking to the web process) receives the device_update.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from asgiref.sync import sync_to_async

from devices import services
from devices.models import Reading
from tests.auth import access_token_for
from tests.factories import UserFactory
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
]


async def test_a_poll_by_the_worker_reaches_a_websocket_through_the_web_process(
    live_worker, live_server_url
):
    (address,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", address, alias="Live kettle")]) as sim:
        await sync_to_async(sim.emeter)(address, power=61.5, voltage=120.0, current=0.5, total=2.0)
        device = await sync_to_async(services.device_add_manual)(ip=address)
        user = await sync_to_async(UserFactory)(username="livebob", role="operator")
        token = await sync_to_async(access_token_for)(user)
        ws_url = live_server_url.replace("http://", "ws://") + f"/ws/devices/?token={token}"

        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(ws_url, headers={"Origin": live_server_url}) as ws,
        ):
            await ws.send_json({"event": "subscribe_device", "device_ip": address})
            assert (await ws.receive_json(timeout=10))["event"] == "subscribed"

            response = await http.post(
                f"{live_server_url}/api/devices/{device.pk}/poll",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status == 202, await response.text()
            assert (await response.json())["task_id"]

            message = await _next_update(ws)

    assert message["device_ip"] == address
    assert message["data"]["current_power_w"] == 61.5
    assert await sync_to_async(Reading.objects.filter(device=device).count)() == 1


async def _next_update(ws) -> dict:
    async with asyncio.timeout(20):
        while True:
            message = await ws.receive_json()
            if message["event"] == "device_update":
                return message
