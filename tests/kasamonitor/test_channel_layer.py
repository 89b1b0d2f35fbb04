"""Live events travel through the real Redis channel layer to WebSocket clients."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from devices import events
from kasamonitor.asgi import application
from tests.auth import access_token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def connect(path: str, **headers) -> tuple[WebsocketCommunicator, bool, int | None]:
    hdrs = [(b"origin", b"http://127.0.0.1")] + [
        (k.encode(), v.encode()) for k, v in headers.items()
    ]
    communicator = WebsocketCommunicator(application, path, headers=hdrs)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_anonymous_sockets_are_closed_with_4401():
    communicator, connected, code = await connect("/ws/devices/")
    assert not connected and code == 4401


async def test_a_subscriber_receives_device_updates(admin_user):
    token = await sync_to_async(access_token_for)(admin_user)
    communicator, connected, _ = await connect(f"/ws/devices/?token={token}")
    assert connected
    await communicator.send_json_to({"event": "subscribe_device", "device_ip": "127.0.0.7"})
    assert (await communicator.receive_json_from(timeout=5))["event"] == "subscribed"

    await sync_to_async(events.send_device_update)("127.0.0.8", {"current_power_w": 1.0})
    await sync_to_async(events.send_device_update)("127.0.0.7", {"current_power_w": 45.2})
    message = await communicator.receive_json_from(timeout=5)
    assert message == {
        "event": "device_update",
        "device_ip": "127.0.0.7",
        "data": {"current_power_w": 45.2},
    }
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_subscribe_all_receives_status_changes_via_cookie_auth(admin_user):
    token = await sync_to_async(access_token_for)(admin_user)
    communicator, connected, _ = await connect("/ws/devices/", cookie=f"access_token={token}")
    assert connected
    await communicator.send_json_to({"event": "subscribe_all"})
    await communicator.receive_json_from(timeout=5)
    await sync_to_async(events.send_device_status)("127.0.0.9", "offline", "2026-01-01T00:00:00Z")
    message = await communicator.receive_json_from(timeout=5)
    assert message["event"] == "device_status" and message["status"] == "offline"
    await communicator.disconnect()


async def test_malformed_messages_get_an_error_not_a_crash(admin_user):
    token = await sync_to_async(access_token_for)(admin_user)
    communicator, _, _ = await connect(f"/ws/devices/?token={token}")
    await communicator.send_json_to({"event": "explode"})
    assert (await communicator.receive_json_from(timeout=5))["event"] == "error"
    await communicator.disconnect()
