"""Emulated TP-Link devices serving python-kasa's recorded answers over the real wire
protocols (KLAP, AES, XOR) on loopback. See README.md."""

from .emulator import EmulatorError, SmartEmulator
from .fixtures import FixturesMissing, ensure_fixtures, fixture_names, load_fixture
from .server import DEFAULT_PASSWORD, DEFAULT_USERNAME, DeviceSpec

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "DeviceSpec",
    "EmulatorError",
    "FixturesMissing",
    "SmartEmulator",
    "ensure_fixtures",
    "fixture_names",
    "load_fixture",
]
