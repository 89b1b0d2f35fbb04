"""Helpers of the smart-protocol device tests (test_smart_devices, test_https_devices)."""

from __future__ import annotations

from tests.smart_emulator import SmartEmulator


def account(emu: SmartEmulator, host: str) -> dict:
    """The TP-Link account the emulated device at host accepts, as the API takes it."""
    username, password = emu.account(host)
    return {"username": username, "password": password}


def add(api, host: str, **body):
    """Add a device by IP through POST /api/devices."""
    return api.post("/api/devices", {"ip": host, **body}, format="json")
