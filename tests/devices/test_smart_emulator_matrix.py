"""Every energy-metering plug and every strip recorded in the pinned python-kasa release,
served by the emulator and read by python-kasa: discovered, connected, updated, switched,
and (for meters) reporting the power the emulator draws. Prints a matrix at the end.

The fixtures list is read from the cached recordings (tests/smart_emulator/fixtures.py).
"""

from __future__ import annotations

import pytest
from kasa import Credentials, Discover, Module

from tests.smart_emulator import DeviceSpec, SmartEmulator, fixture_names, load_fixture

pytestmark = pytest.mark.integration

PLUG_FAMILIES = ("SMART.KASAPLUG", "SMART.TAPOPLUG", "SMART.KASASWITCH", "SMART.TAPOSWITCH")
LOAD_W = 42.5
RESULTS: list[tuple[str, str, str, str, str]] = []
METERED: dict[tuple[str, str], bool] = {}


def _components(answer: dict | None) -> set[str]:
    return {c["id"] for c in (answer or {}).get("component_list", [])}


def smart_cases() -> list[str]:
    cases = []
    for name in fixture_names("smart"):
        data = load_fixture(name)
        family = data["discovery_result"].get("result", {}).get("device_type", "")
        own = _components(data.get("component_nego"))
        children = (data.get("get_child_device_component_list") or {}).get(
            "child_component_list", []
        )
        child_meter = any("energy_monitoring" in _components(c) for c in children)
        strip = "child_device" in own and family in PLUG_FAMILIES
        if "energy_monitoring" in own or child_meter or strip:
            cases.append(name)
            METERED[("smart", name)] = "energy_monitoring" in own or child_meter
    return cases


def iot_cases() -> list[str]:
    cases = []
    for name in fixture_names("iot"):
        data = load_fixture(name, "iot")
        sysinfo = data["system"]["get_sysinfo"]
        realtime = (data.get("emeter") or {}).get("get_realtime", {})
        metered = realtime.get("err_code", -1) == 0
        is_plug = sysinfo.get("type", sysinfo.get("mic_type", "")) == "IOT.SMARTPLUGSWITCH"
        if metered and is_plug or sysinfo.get("children"):
            cases.append(name)
            METERED[("iot", name)] = metered
    return cases


# KLAP over HTTPS (port 4433). No plug or strip recorded in python-kasa 0.12 says
# is_support_https (only two robot vacuums do), so every KLAP recording above is served a
# second time with the flag SET BY US (DeviceSpec.https=True): the case kind "smart-https"
# marks those rows. It shows the HTTPS path works for the same answers, not that those
# models ship with HTTPS.
HTTPS = "smart-https"


def https_cases(smart: list[str]) -> list[str]:
    cases = []
    for name in smart:
        scheme = load_fixture(name)["discovery_result"].get("result", {}).get("mgt_encrypt_schm")
        if (scheme or {}).get("encrypt_type") == "KLAP":
            cases.append(name)
            METERED[(HTTPS, name)] = METERED[("smart", name)]
    return cases


def spec_for(kind: str, name: str, **kwargs) -> DeviceSpec:
    if kind == HTTPS:
        return DeviceSpec(name, kind="smart", https=True, **kwargs)
    return DeviceSpec(name, kind=kind, **kwargs)


_SMART = smart_cases()
CASES = (
    [("smart", n) for n in _SMART]
    + [("iot", n) for n in iot_cases()]
    + [(HTTPS, n) for n in https_cases(_SMART)]
)


@pytest.fixture(scope="module")
def fleet(request):
    specs = [spec_for(kind, name, load_w=LOAD_W) for kind, name in CASES]
    with SmartEmulator(specs) as emu:
        yield {(kind, name): s.host for (kind, name), s in zip(CASES, emu.specs, strict=True)}, emu
    print_matrix(request.config)


def print_matrix(config: pytest.Config) -> None:
    """Write the matrix to the terminal, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(f"{'model':<16} {'firmware':<9} {'protocol':<40} result")
        for model, firmware, protocol, result, _ in sorted(RESULTS):
            reporter.write_line(f"{model:<16} {firmware:<9} {protocol:<40} {result}")


@pytest.mark.asyncio
@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{k}/{n}" for k, n in CASES])
async def test_recorded_device_is_served(fleet, kind, name):
    hosts, emu = fleet
    host = hosts[(kind, name)]
    info = emu.info(host)
    model, _, firmware = name.partition("_")
    protocol = f"{info['family']} {info['encryption']}"
    if info["klap_version"]:
        protocol += f" v{info['klap_version']}"
    if info["https"]:
        protocol += " HTTPS" + (" (set)" if info["https_source"] == "override" else "")
    elif info["encryption"] == "AES":
        protocol += f" lv{info['login_version'] or 1}"
    RESULTS.append((model, firmware.split("_")[-1], protocol, "FAIL", name))
    emu.relay(host, True)
    dev = await Discover.discover_single(
        host, credentials=Credentials(*emu.account(host)), discovery_timeout=3, timeout=3
    )
    try:
        await dev.update()
        targets = dev.children or [dev]
        assert len(dev.children) == len(info["children"])
        assert all(t.is_on for t in targets)
        await targets[-1].turn_off()
        await dev.update()
        assert targets[-1].is_on is False
        off_outlet = len(targets) - 1 if dev.children else None
        assert emu.is_on(host, child=off_outlet) is False
        meters = [t.modules[Module.Energy] for t in targets if Module.Energy in t.modules]
        if METERED[(kind, name)]:
            assert meters, "the device meters energy but python-kasa found no Energy module"
            powers = [m.current_consumption for m in meters]
            assert powers[:-1] == [pytest.approx(LOAD_W)] * (len(powers) - 1)
            assert powers[-1] == 0  # the socket switched off draws nothing
        RESULTS[-1] = (*RESULTS[-1][:3], f"ok ({len(meters)} meter(s))", name)
    finally:
        await dev.disconnect()
