"""The live-events WebSocket: /ws/devices/."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import ALL_DEVICES, device_group


class DeviceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if not (user and user.is_authenticated):
            await self.close(code=4401)
            return
        self.groups_joined: set[str] = set()
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        event = content.get("event") if isinstance(content, dict) else None
        device_ip = content.get("device_ip") if isinstance(content, dict) else None
        if event == "subscribe_all":
            await self._join(ALL_DEVICES)
        elif event == "subscribe_device" and isinstance(device_ip, str) and device_ip:
            await self._join(device_group(device_ip))
        elif event == "unsubscribe_device" and isinstance(device_ip, str) and device_ip:
            await self._leave(device_group(device_ip))
        else:
            await self.send_json({"event": "error", "message": "Unknown or malformed event."})
            return
        await self.send_json(
            {
                "event": "subscribed" if event != "unsubscribe_device" else "unsubscribed",
                "target": device_ip or "all",
            }
        )

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def device_update(self, message):
        await self.send_json(message["payload"])

    async def device_status(self, message):
        await self.send_json(message["payload"])
