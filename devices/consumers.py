"""The live-events WebSocket: /ws/devices/ (protocol in docs/devices.md)."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import ALL_DEVICES


class DeviceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if not (user and user.is_authenticated):
            await self.close(code=4401)
            return
        self.device_ips: set[str] = set()
        self.everything = False
        # One shared group: events arrive in batches and are filtered here, per socket.
        await self.channel_layer.group_add(ALL_DEVICES, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "device_ips"):
            await self.channel_layer.group_discard(ALL_DEVICES, self.channel_name)

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
        for event in message["messages"]:
            if self.everything or event["device_ip"] in self.device_ips:
                await self.send_json(event)
