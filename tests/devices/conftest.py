"""Simulated Kasa devices on a loopback block for the devices app's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.simulator import BROADCAST_TARGET, Simulator, device_spec, free_loopback_block
from tests.smart_emulator import DeviceSpec, SmartEmulator

# Roles of the addresses; "spare" stays unbound (nothing answers there).
ROLES = ["hs110", "hs300", "hs100", "bulb", "switch", "flaky", "slow", "spare"]


class Fleet:
    """The simulator plus each role's address."""

    def __init__(self, sim: Simulator, hosts: dict[str, str]):
        self.sim = sim
        self.hosts = hosts

    def __getitem__(self, role: str) -> str:
        return self.hosts[role]

    def mac(self, role: str) -> str:
        return self.sim.device(self.hosts[role])["mac"]

    def mine(self, devices) -> list:
        """Keep what this run simulates: other runs on this machine answer broadcasts too."""
        return [d for d in devices if d.host in self.hosts.values()]


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    hosts = dict(zip(ROLES, free_loopback_block(len(ROLES)), strict=True))
    devices = [
        device_spec("hs110", hosts["hs110"], alias="Kettle"),
        device_spec("hs300", hosts["hs300"], alias="Desk strip", children=["Monitor", "Lamp"]),
        device_spec("hs100", hosts["hs100"], alias="Fan"),
        device_spec("lb130", hosts["bulb"], alias="Hall bulb"),
        device_spec("hs110", hosts["switch"], alias="Heater"),
        device_spec("hs110", hosts["flaky"], alias="Garage"),
        device_spec("hs110", hosts["slow"], alias="Shed"),
    ]
    with Simulator(devices, broadcast=True) as sim:
        yield Fleet(sim, hosts)


@pytest.fixture
def devices_settings(settings):
    settings.KASA_DISCOVERY_TARGET = [BROADCAST_TARGET]
    settings.KASA_DISCOVERY_TIMEOUT = 0.5
    settings.KASA_DEVICE_TIMEOUT = 1.0
    settings.KASA_POLL_DEADLINE = 1.5
    return settings


@pytest.fixture
def add(db, fleet, devices_settings):
    """Add a simulated device by role through the real manual-add service."""
    from devices import services

    def _add(role: str, **kwargs):
        return services.device_add_manual(ip=fleet[role], **kwargs)

    return _add


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The role fixtures hash a password per test; argon2 would dominate this suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def emulate(devices_settings):
    """Start smart-protocol emulators (tests/smart_emulator) for a test; stopped after it."""
    started: list[SmartEmulator] = []

    def start(*specs: DeviceSpec) -> SmartEmulator:
        emulator = SmartEmulator(list(specs))
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
