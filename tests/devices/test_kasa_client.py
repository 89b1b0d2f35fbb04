"""devices.kasa_client against tplink-smarthome-simulator on loopback (no Django needed)."""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import time
from collections.abc import Iterator

import pytest

from devices import kasa_client
from devices.kasa_client import DeviceUnreachable, NotAKasaDevice, OutletNotFound, PollResult
from tests.simulator import Simulator, SimulatorError, device_spec, free_loopback_block

pytestmark = pytest.mark.integration

# Roles of the addresses in the block; SPARE_* are left unbound for "nothing there" tests.
ROLES = ["hs110", "hs300", "hs100", "lb130", "switched", "flaky", "slow", "dyn", "spare1", "spare2"]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    hosts = dict(zip(ROLES, free_loopback_block(len(ROLES)), strict=True))
    devices = [
        device_spec("hs110", hosts["hs110"], alias="Kettle"),
        device_spec("hs300", hosts["hs300"], alias="Desk strip", children=["Monitor", "Lamp"]),
        device_spec("hs100", hosts["hs100"], alias="Fan"),
        device_spec("lb130", hosts["lb130"], alias="Hall bulb"),
        device_spec("hs110v2", hosts["switched"]),
        device_spec("hs110", hosts["flaky"]),
        device_spec("hs110", hosts["slow"]),
        device_spec("hs110", hosts["dyn"]),
    ]
    with Simulator(devices, broadcast=True) as simulator:
        simulator.roles = hosts
        yield simulator


def host(sim: Simulator, role: str) -> str:
    return sim.roles[role]


def previous_month() -> tuple[int, int]:
    first = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


@pytest.mark.asyncio
async def test_it_discovers_each_device_type_at_the_loopback_broadcast_target(sim):
    found = await kasa_client.discover([sim.broadcast["address"]], timeout=1.0)

    # Another test run on this machine may answer the same broadcast; keep our block.
    mine = {r.host: r for r in found if r.host in sim.hosts}
    expected = {"hs110": "plug", "hs300": "strip", "hs100": "plug", "lb130": "bulb"}
    for role, kind in expected.items():
        result = mine[host(sim, role)]
        assert result.device_type == kind
        assert result.mac == sim.device(result.host)["mac"]
        assert result.model == role.upper()
    assert mine[host(sim, "hs110")].alias == "Kettle"
    assert mine[host(sim, "hs110")].has_emeter is True
    assert mine[host(sim, "hs100")].has_emeter is False
    assert len(mine[host(sim, "hs300")].children) == 6


@pytest.mark.asyncio
async def test_it_refuses_to_discover_without_a_target():
    with pytest.raises(ValueError):
        await kasa_client.discover([], timeout=0.1)


@pytest.mark.asyncio
async def test_probe_of_a_closed_address_fails_fast_as_unreachable(sim):
    started = time.monotonic()
    with pytest.raises(DeviceUnreachable) as info:
        await kasa_client.probe(host(sim, "spare1"), timeout=2.0)
    assert time.monotonic() - started < 0.5
    assert info.value.reason == "unreachable"


@pytest.mark.asyncio
async def test_probe_tells_a_non_kasa_service_from_a_missing_device(sim):
    async def http_like(reader, writer):
        await reader.read(64)
        writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(http_like, host(sim, "spare2"), 9999)
    try:
        with pytest.raises(NotAKasaDevice) as info:
            await kasa_client.probe(host(sim, "spare2"), timeout=2.0)
    finally:
        server.close()
        await server.wait_closed()
    assert info.value.reason == "unsupported"


@pytest.mark.asyncio
async def test_probe_returns_the_device_identity(sim):
    result = await kasa_client.probe(host(sim, "hs100"), timeout=2.0)

    assert isinstance(result, PollResult)
    assert (result.alias, result.model, result.device_type) == ("Fan", "HS100", "plug")
    assert result.device_id == result.mac == sim.device(host(sim, "hs100"))["mac"]
    assert result.power_w is None and result.children == ()


@pytest.mark.asyncio
async def test_poll_returns_the_pinned_emeter_values(sim):
    address = host(sim, "hs110")
    sim.emeter(address, power=42.5, voltage=231.2, current=0.19, total=12.345, today=0.75)

    result = await kasa_client.poll(address, 9999, timeout=2.0)

    assert result.power_w == pytest.approx(42.5)
    assert result.voltage == pytest.approx(231.2)
    assert result.current == pytest.approx(0.19)
    assert result.energy_total_kwh == pytest.approx(12.345)
    assert result.today_kwh == pytest.approx(0.75)
    assert result.hw_version == "1.0" and result.fw_version.startswith("1.0.8")


@pytest.mark.asyncio
async def test_set_power_is_seen_by_the_device(sim):
    address = host(sim, "switched")

    on = await kasa_client.set_power(address, 9999, True, timeout=2.0)
    assert on.is_on is True
    assert sim.state(address)["relay"] == 1

    off = await kasa_client.set_power(address, 9999, False, timeout=2.0)
    assert off.is_on is False
    assert sim.state(address)["relay"] == 0


@pytest.mark.asyncio
async def test_strip_outlets_have_their_own_ids_state_and_energy(sim):
    address = host(sim, "hs300")
    strip = sim.device(address)
    sim.emeter(address, child=1, power=5.0, voltage=120.0, current=0.05, total=1.5, today=0.1)
    sim.emeter(address, child=3, power=20.0, voltage=120.0, current=0.2, total=2.5, today=0.2)

    result = await kasa_client.set_power(
        address, 9999, True, child_id=strip["children"][3]["id"], timeout=3.0
    )

    outlets = result.children
    assert [o.child_id for o in outlets] == [c["id"] for c in strip["children"]]
    assert [o.device_id for o in outlets] == [
        f"{strip['mac']}_{c['id']}" for c in strip["children"]
    ]
    assert [o.alias for o in outlets[:2]] == ["Monitor", "Lamp"]
    assert [o.is_on for o in outlets] == [False, False, False, True, False, False]
    assert [c["relay"] for c in sim.state(address)["children"]] == [0, 0, 0, 1, 0, 0]
    assert (outlets[1].power_w, outlets[1].energy_total_kwh) == (5.0, 1.5)
    assert (outlets[3].power_w, outlets[3].today_kwh) == (20.0, 0.2)
    assert result.power_w == pytest.approx(sum(o.power_w for o in outlets))


@pytest.mark.asyncio
async def test_set_power_rejects_an_unknown_outlet(sim):
    with pytest.raises(OutletNotFound):
        await kasa_client.set_power(host(sim, "hs300"), 9999, True, child_id="nope", timeout=2.0)


@pytest.mark.asyncio
async def test_offline_device_is_unreachable_within_the_deadline_and_recovers(sim):
    address = host(sim, "flaky")
    assert (await kasa_client.poll(address, 9999, timeout=1.0)).is_on is False

    sim.offline(address)
    try:
        started = time.monotonic()
        with pytest.raises(DeviceUnreachable):
            await kasa_client.poll(address, 9999, timeout=1.0)
        assert time.monotonic() - started < 1.2
    finally:
        sim.online(address)

    result = await kasa_client.poll(address, 9999, timeout=1.0)
    assert result.mac == sim.device(address)["mac"]


@pytest.mark.asyncio
async def test_poll_many_does_not_wait_for_a_slow_device(sim):
    slow = host(sim, "slow")
    fast = [host(sim, role) for role in ("hs110", "hs100", "lb130", "switched")]
    sim.delay(slow, 5000)  # kasa alone would retry for 4 x 1 s + 3 s
    try:
        started = time.monotonic()
        results = await kasa_client.poll_many(
            [(slow, 9999)] + [(h, 9999) for h in fast], concurrency=2, timeout=1.0
        )
        elapsed = time.monotonic() - started
    finally:
        sim.delay(slow, 0)

    assert isinstance(results[(slow, 9999)], DeviceUnreachable)
    assert all(isinstance(results[(h, 9999)], PollResult) for h in fast)
    assert elapsed < 1.6


@pytest.mark.asyncio
async def test_daily_stats_returns_kwh_per_day_of_month(sim):
    year, month = previous_month()
    sim.daystat(host(sim, "hs110"), year, month, {1: 0.5, 2: 1.25})
    strip = sim.device(host(sim, "hs300"))
    outlet = strip["children"][2]["id"]
    sim.daystat(host(sim, "hs300"), year, month, {1: 0.4}, child=outlet)

    plug = await kasa_client.daily_stats(host(sim, "hs110"), 9999, year, month, timeout=2.0)
    socket = await kasa_client.daily_stats(
        host(sim, "hs300"), 9999, year, month, child_id=outlet, timeout=3.0
    )
    no_meter = await kasa_client.daily_stats(host(sim, "hs100"), 9999, year, month)

    assert len(plug) == calendar.monthrange(year, month)[1]
    assert (plug[1], plug[2]) == (0.5, 1.25)
    assert socket[1] == 0.4  # the HS300 reports Wh; the client returns kWh
    assert no_meter == {}


@pytest.mark.asyncio
async def test_poll_follows_a_dynamic_load(sim):
    address = host(sim, "dyn")
    # 100 W for 0.1 s ticks at 36 000 x speed = 100 W for 1 h = 0.1 kWh per tick.
    sim.dynamic(address, watts=100, noise=0, tick_ms=100, time_scale=36_000)
    try:
        off = await kasa_client.poll(address, 9999, timeout=1.0)
        on = await kasa_client.set_power(address, 9999, True, timeout=1.0)
        await asyncio.sleep(0.35)
        later = await kasa_client.poll(address, 9999, timeout=1.0)
    finally:
        sim.dynamic(address, on=False, tick_ms=1000, time_scale=1)

    assert off.power_w == 0
    assert on.is_on and on.voltage == 120
    assert later.power_w == 100 and later.current == pytest.approx(100 / 120, abs=1e-3)
    gained = later.today_kwh - on.today_kwh
    assert 0.2 <= gained <= 0.5
    assert later.energy_total_kwh - on.energy_total_kwh == pytest.approx(gained, abs=1e-3)


def test_simulator_fails_loudly_without_node():
    with pytest.raises(SimulatorError, match="npm ci --prefix tests/kasa_sim"):
        Simulator([], node="no-such-node-binary").start()


KLAP = {"device_family": "SMART.KASAPLUG", "encryption_type": "KLAP", "login_version": 2,
        "https": False, "http_port": 80}  # fmt: skip


@pytest.mark.asyncio
async def test_legacy_devices_need_no_stored_connection(sim):
    result = await kasa_client.poll(host(sim, "hs110"), timeout=2.0)
    assert result.connection == {}


def test_the_connection_found_at_discovery_picks_the_protocol_of_later_polls():
    kasa = kasa_client._kasa()  # python-kasa's own types, built offline

    config = kasa_client._config("127.0.2.40", 80, 1.0, None, KLAP)
    assert config.connection_type.encryption_type.value == "KLAP"
    assert config.connection_type.device_family.value == "SMART.KASAPLUG"
    assert (
        kasa_client._config("127.0.2.40", 9999, 1.0, None).connection_type.encryption_type.value
        == "XOR"
    )

    # What discovery hands back for newer firmware is kept, so polls can ask the same way.
    params = kasa.DeviceConnectionParameters.from_dict(KLAP)
    newer = kasa.iot.IotPlug(
        "127.0.2.40", config=kasa.DeviceConfig("127.0.2.40", connection_type=params)
    )
    assert kasa_client._connection_of(newer) == {k: v for k, v in KLAP.items() if v is not None}
