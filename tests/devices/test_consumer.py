"""Live events through the real ASGI app and Redis channel layer (channels' communicator)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from devices import services
from kasamonitor.asgi import application
from tests.auth import access_token_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
]
DATA_FIELDS = {"is_on", "current_power_w", "voltage", "current", "today_energy_kwh", "timestamp"}


async def socket_for(user, subscribe: dict) -> WebsocketCommunicator:
    token = await sync_to_async(access_token_for)(user)
    communicator = WebsocketCommunicator(
        application, f"/ws/devices/?token={token}", headers=[(b"origin", b"http://127.0.0.1")]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.send_json_to(subscribe)
    assert (await communicator.receive_json_from(timeout=5))["event"] == "subscribed"
    return communicator


async def next_event(communicator, event: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["event"] == event:
            return message


async def test_every_poll_pushes_a_device_update(viewer_user, add, fleet):
    fleet.sim.emeter(fleet["hs110"], power=42.0, voltage=230.0, current=0.18, total=1.0, today=0.3)
    device = await sync_to_async(add)("hs110")
    ws = await socket_for(viewer_user, {"event": "subscribe_device", "device_ip": device.host})

    await sync_to_async(services.device_poll_all)()

    message = await next_event(ws, "device_update")
    assert message["device_ip"] == device.host
    assert set(message["data"]) >= DATA_FIELDS
    assert (message["data"]["current_power_w"], message["data"]["today_energy_kwh"]) == (42.0, 0.3)
    await ws.disconnect()


async def test_going_offline_pushes_a_device_status_to_subscribe_all(viewer_user, add, fleet):
    device = await sync_to_async(add)("flaky")
    ws = await socket_for(viewer_user, {"event": "subscribe_all"})
    await sync_to_async(fleet.sim.offline)(fleet["flaky"])
    try:
        for _ in range(2):
            await sync_to_async(services.device_poll_all)()
    finally:
        await sync_to_async(fleet.sim.online)(fleet["flaky"])

    message = await next_event(ws, "device_status")
    assert (message["device_ip"], message["status"]) == (device.host, "offline")
    assert message["offline_reason"] == "unreachable" and message["timestamp"]
    await ws.disconnect()


async def test_a_control_action_pushes_an_immediate_update(operator_user, add, fleet):
    device = await sync_to_async(add)("switch")
    await sync_to_async(fleet.sim.relay)(fleet["switch"], False)
    ws = await socket_for(operator_user, {"event": "subscribe_device", "device_ip": device.host})

    await sync_to_async(services.device_set_power)(device=device, action="on", actor=operator_user)

    message = await next_event(ws, "device_update")
    assert message["data"]["is_on"] is True
    await ws.disconnect()


async def test_unsubscribed_sockets_hear_nothing_more(viewer_user, add, fleet):
    device = await sync_to_async(add)("hs100")
    ws = await socket_for(viewer_user, {"event": "subscribe_device", "device_ip": device.host})
    await ws.send_json_to({"event": "unsubscribe_device", "device_ip": device.host})
    assert (await ws.receive_json_from(timeout=5))["event"] == "unsubscribed"

    await sync_to_async(services.device_poll_all)()

    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()
