"""python-kasa against the device emulator (tests/smart_emulator): discovery, the KLAP and
AES transports, credentials, sessions, energy and strips, all on loopback.

These test the test infrastructure the product's smart-device support is built on, so
they talk to python-kasa directly, not through devices/kasa_client.py.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from kasa import (
    AuthenticationError,
    Credentials,
    Device,
    DeviceConfig,
    Discover,
    KasaException,
    Module,
)
from kasa.httpclient import HttpClient

from tests.smart_emulator import DeviceSpec, SmartEmulator
from tests.smart_emulator.server import BROADCAST_ADDRESS

KLAP_PLUG = "KP125M(US)_1.0_1.2.3"  # SMART.KASAPLUG, KLAP lv 2, energy (America/Denver)
AES_PLUG = "P110(EU)_1.0_1.2.3"  # SMART.TAPOPLUG, AES lv 2 (password2 login), energy
AES_PLUG_LV1 = "P110(EU)_1.0_1.0.7"  # AES without lv: the plain password login
KLAP_V1_PLUG = "HS100(UK)_4.1_1.1.0"  # IOT.SMARTPLUGSWITCH over KLAP v1 (md5 hashes)
XOR_PLUG = "HS110(EU)_4.0_1.0.4"  # legacy XOR on 9999, energy
STRIP = "P304M(UK)_1.0_1.0.3"  # 4 sockets, each with its own meter

pytestmark = pytest.mark.integration


@pytest.fixture
def emulate():
    """Start a SmartEmulator for the given specs; stopped after the test."""
    started: list[SmartEmulator] = []

    def start(*specs: DeviceSpec | str, **kwargs) -> SmartEmulator:
        emulator = SmartEmulator(list(specs), **kwargs)
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


def creds(emu: SmartEmulator, host: str) -> Credentials:
    return Credentials(*emu.account(host))


async def discover(emu: SmartEmulator, host: str, credentials: Credentials | None = None):
    return await Discover.discover_single(
        host, credentials=credentials or creds(emu, host), discovery_timeout=3, timeout=3
    )


def config_for(emu: SmartEmulator, host: str, dev: Device, credentials: Credentials):
    """A stored-config connect, as the product does after discovery."""
    data = dev.config.to_dict()
    data.pop("credentials", None)
    config = DeviceConfig.from_dict(data)
    config.credentials = credentials
    config.port_override = emu.port(host)
    return config


# -- KLAP v2 plug with energy ------------------------------------------------------------


@pytest.mark.asyncio
async def test_klap_v2_plug_is_discovered_updated_switched_and_meters_energy(emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG, alias="Kettle", load_w=120.0))
    host = emu.hosts[0]
    info = emu.info(host)
    dev = await discover(emu, host)
    try:
        conn = dev.config.connection_type
        assert (conn.device_family.value, conn.encryption_type.value) == ("SMART.KASAPLUG", "KLAP")
        assert conn.login_version == 2
        assert conn.http_port == emu.port(host)
        assert type(dev.protocol._transport).__name__ == "KlapTransportV2"

        # The checks below move the device's clock on by 1.5 h and compare today's counter,
        # which starts again at the device's local midnight: keep them on one local day.
        await dev.update()
        if dev.time.hour >= 21:
            emu.advance((25 - dev.time.hour) * 3600)  # to 01:xx tomorrow
        emu.relay(host, True)
        await dev.update()
        assert (dev.alias, dev.model, dev.is_on) == ("Kettle", "KP125M", True)
        assert dev.mac.replace(":", "-") == info["mac"]
        energy = dev.modules[Module.Energy]
        assert energy.current_consumption == pytest.approx(120.0)
        today = energy.consumption_today

        emu.advance(1800)  # half an hour at 120 W: 60 Wh
        await dev.update()
        assert energy.consumption_today == pytest.approx(today + 0.060, abs=0.002)

        emu.set_power(host, 7.5)
        await dev.update()
        assert energy.current_consumption == pytest.approx(7.5)

        await dev.turn_off()
        assert emu.is_on(host) is False
        await dev.update()
        assert dev.is_on is False
        assert energy.current_consumption == 0
        stopped_at = energy.consumption_today
        emu.advance(3600)
        await dev.update()
        assert energy.consumption_today == stopped_at  # nothing drawn while off

        await dev.turn_on()
        await dev.update()
        assert dev.is_on and emu.is_on(host)
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
async def test_power_units_milliwatts_in_energy_usage_watts_in_current_power(emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG, load_w=12.345))
    host = emu.hosts[0]
    emu.relay(host, True)
    dev = await discover(emu, host)
    try:
        answer = await dev.protocol.query({"get_energy_usage": None, "get_current_power": None})
        assert answer["get_energy_usage"]["current_power"] == 12345
        assert answer["get_current_power"]["current_power"] == 12
        assert "total_energy" not in answer["get_energy_usage"]  # no lifetime counter
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
async def test_today_and_month_counters_reset_at_the_devices_local_midnight(emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG, load_w=0.0))
    host = emu.hosts[0]
    tz = ZoneInfo("America/Denver")  # the recording's region
    emu.relay(host, True)
    dev = await discover(emu, host)
    try:
        await dev.update()
        energy = dev.modules[Module.Energy]

        def seconds_until(target: datetime) -> float:
            return target.timestamp() - emu.now()

        # Half an hour before the next local midnight, then 40 minutes at 1 kW.
        local = datetime.fromtimestamp(emu.now(), tz)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        if seconds_until(midnight) < 1800:  # run after 23:30 on the device's clock: the next
            midnight += timedelta(days=1)  # midnight but one (wall-clock arithmetic)
        emu.advance(seconds_until(midnight) - 1800)
        emu.set_energy(host, today_wh=200, month_wh=5000)
        emu.set_power(host, 1000.0)
        emu.advance(2400)
        await dev.update()
        assert energy.consumption_today == pytest.approx(0.166, abs=0.002)
        month_expected = 0.166 if midnight.day == 1 else 5.666
        assert energy.consumption_this_month == pytest.approx(month_expected, abs=0.002)

        # The same across the next month start: both counters start again.
        emu.set_power(host, 0.0)
        local = datetime.fromtimestamp(emu.now(), tz)
        first = (local.replace(day=28) + timedelta(days=4)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        emu.advance(seconds_until(first) - 1800)
        emu.set_energy(host, today_wh=300, month_wh=9000)
        emu.set_power(host, 1000.0)
        emu.advance(2400)
        await dev.update()
        assert energy.consumption_today == pytest.approx(0.166, abs=0.002)
        assert energy.consumption_this_month == pytest.approx(0.166, abs=0.002)
    finally:
        await dev.disconnect()


# -- other transports --------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("fixture", [AES_PLUG, AES_PLUG_LV1])
async def test_aes_plug_logs_in_and_meters_energy(emulate, fixture):
    emu = emulate(DeviceSpec(fixture, alias="Heater", load_w=1500.0))
    host = emu.hosts[0]
    emu.relay(host, True)
    dev = await discover(emu, host)
    try:
        assert dev.config.connection_type.encryption_type.value == "AES"
        await dev.update()
        assert (dev.alias, dev.is_on) == ("Heater", True)
        assert dev.modules[Module.Energy].current_consumption == pytest.approx(1500.0)
        await dev.turn_off()
        await dev.update()
        assert dev.is_on is False and emu.is_on(host) is False
        info = emu.info(host)
        assert (info["handshakes"], info["logins"]) == (1, 1)
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
async def test_klap_v1_legacy_plug_connects_with_md5_hashes(emulate):
    emu = emulate(DeviceSpec(KLAP_V1_PLUG, kind="iot", alias="Lamp"))
    host = emu.hosts[0]
    dev = await discover(emu, host)
    try:
        assert type(dev.protocol._transport).__name__ == "KlapTransport"  # v1
        await dev.update()
        assert (dev.alias, dev.model) == ("Lamp", "HS100")
        await dev.turn_on()
        await dev.update()
        assert dev.is_on and emu.is_on(host)
        await dev.turn_off()
        await dev.update()
        assert not dev.is_on and not emu.is_on(host)
        assert emu.info(host)["klap_version"] == 1
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
async def test_xor_legacy_plug_reports_energy_and_daily_statistics(emulate):
    emu = emulate(DeviceSpec(XOR_PLUG, kind="iot", alias="Fridge", load_w=100.0))
    host = emu.hosts[0]
    emu.relay(host, True)
    dev = await Discover.discover_single(host, discovery_timeout=3)
    try:
        assert dev.config.connection_type.encryption_type.value == "XOR"
        emu.advance(3600)
        await dev.update()
        energy = dev.modules[Module.Energy]
        assert energy.current_consumption == pytest.approx(100.0)
        stats = await energy.get_daily_stats(kwh=True)
        assert sum(stats.values()) == pytest.approx(0.1, abs=0.002)
    finally:
        await dev.disconnect()


# -- strips ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_strip_sockets_are_paged_switched_and_metered_each(emulate):
    # Two children per page: python-kasa must ask for the second page itself.
    emu = emulate(DeviceSpec(STRIP, alias="Desk", page_size=2, child_aliases=["A", "B"]))
    host = emu.hosts[0]
    dev = await discover(emu, host)
    try:
        await dev.update()
        assert [c.alias for c in dev.children] == ["A", "B", "Desk 3", "Desk 4"]
        emu.relay(host, False)
        emu.set_power(host, 25.0, child=1)
        second = dev.children[1]
        await second.turn_on()
        assert emu.is_on(host, child=1) and not emu.is_on(host, child=0)
        await dev.update()
        assert second.is_on and not dev.children[0].is_on
        assert second.modules[Module.Energy].current_consumption == pytest.approx(25.0)
        assert dev.children[0].modules[Module.Energy].current_consumption == 0
        assert second.device_id == emu.info(host)["children"][1]["device_id"]
    finally:
        await dev.disconnect()


# -- credentials and sessions ------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("fixture", [KLAP_PLUG, AES_PLUG, KLAP_V1_PLUG])
async def test_wrong_credentials_are_refused(emulate, fixture):
    kind = "iot" if fixture == KLAP_V1_PLUG else "smart"
    emu = emulate(DeviceSpec(fixture, kind=kind))
    host = emu.hosts[0]
    wrong = Credentials(emu.account(host)[0], "not-the-password")
    dev = await discover(emu, host, wrong)
    try:
        with pytest.raises(AuthenticationError):
            await dev.update()
        assert emu.info(host)["requests"] == 0
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("fixture", [KLAP_PLUG, AES_PLUG])
async def test_session_is_reused_then_renewed_after_a_restart(emulate, fixture):
    emu = emulate(DeviceSpec(fixture))
    host = emu.hosts[0]
    found = await discover(emu, host)
    await found.disconnect()
    dev = await Device.connect(config=config_for(emu, host, found, creds(emu, host)))
    try:
        await dev.update()
        await dev.update()
        assert emu.handshakes(host) == 1  # connect + two updates on one session

        emu.restart(host)  # the device forgets its sessions
        await dev.update()  # refused once, then python-kasa shakes hands again
        assert emu.handshakes(host) == 2
        assert emu.info(host)["boots"] == 2
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("fixture", [KLAP_PLUG, AES_PLUG])
async def test_expired_session_is_refused_and_replaced_by_a_new_handshake(emulate, fixture):
    emu = emulate(DeviceSpec(fixture, session_timeout=1))  # sent as TIMEOUT=1 too
    host = emu.hosts[0]
    dev = await discover(emu, host)
    try:
        await dev.update()
        assert emu.handshakes(host) == 1
        await asyncio.sleep(1.1)
        await dev.update()  # refused (KLAP 403, AES 9999), then a new session
        assert emu.handshakes(host) == 2
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("fixture", [KLAP_PLUG, AES_PLUG])
async def test_changed_account_refuses_the_old_password_and_takes_the_new(emulate, fixture):
    emu = emulate(DeviceSpec(fixture))
    host = emu.hosts[0]
    old = creds(emu, host)
    dev = await discover(emu, host)
    await dev.update()
    emu.set_credentials(host, old.username, "new-password")
    try:
        # On a device already updated, python-kasa retries module by module and reports
        # a KasaException ("get_device_info not found"), not the AuthenticationError.
        with pytest.raises(KasaException):
            await dev.update()
    finally:
        await dev.disconnect()
    with pytest.raises(AuthenticationError):
        await Device.connect(config=config_for(emu, host, dev, old))
    new = Credentials(old.username, "new-password")
    dev = await Device.connect(config=config_for(emu, host, dev, new))
    try:
        assert dev.is_on is not None
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
async def test_offline_device_refuses_connections_until_back_online(emulate, monkeypatch):
    # After a refused connection python-kasa waits 0.25 s before each request, and the update
    # retries every module 4 times one by one (~12 s); the refusals are the same at 0.01 s.
    monkeypatch.setattr(HttpClient, "WAIT_BETWEEN_REQUESTS_ON_OSERROR", 0.01)
    emu = emulate(DeviceSpec(KLAP_PLUG))
    host = emu.hosts[0]
    dev = await discover(emu, host)
    try:
        await dev.update()
        emu.offline(host)
        with pytest.raises(KasaException):
            await dev.update()
        emu.online(host)
        await dev.update()
        assert emu.info(host)["online"] is True
    finally:
        await dev.disconnect()


@pytest.mark.asyncio
async def test_a_free_port_is_advertised_and_used_instead_of_80(emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG, port=0))
    host = emu.hosts[0]
    assert emu.port(host) != 80
    dev = await discover(emu, host)
    try:
        assert dev.config.connection_type.http_port == emu.port(host)
        await dev.update()  # no port_override: the discovered port is used
    finally:
        await dev.disconnect()


# -- discovery ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_broadcast_discovery_finds_smart_and_legacy_devices(emulate):
    emu = emulate(
        DeviceSpec(KLAP_PLUG),
        DeviceSpec(AES_PLUG),
        DeviceSpec(XOR_PLUG, kind="iot"),
        broadcast=True,
    )
    found = await Discover.discover(
        target=BROADCAST_ADDRESS, discovery_timeout=1, credentials=creds(emu, emu.hosts[0])
    )
    try:
        mine = {host: dev for host, dev in found.items() if host in emu.hosts}
        assert set(mine) == set(emu.hosts)  # each answered from its own address
        assert {d.model for d in mine.values()} == {"KP125M", "P110", "HS110"}
    finally:
        for dev in found.values():
            await dev.disconnect()


@pytest.mark.asyncio
async def test_offline_device_does_not_answer_discovery(emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG))
    host = emu.hosts[0]
    emu.offline(host)
    with pytest.raises(KasaException, match="Timed out"):
        await Discover.discover_single(host, discovery_timeout=0.5)
