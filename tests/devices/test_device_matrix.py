"""The device matrix through the product: every energy-metering plug and every strip
recorded in the pinned python-kasa release (smart and legacy), served by one emulator on
loopback, goes through OUR code: discovery (POST /api/discover), add (POST /api/devices),
polls (the Celery task's function), on/off (POST /api/device/{id}/control) and the
readings stored. Prints the matrix (model, firmware, protocol, result) at the end;
docs/devices.md's supported-models list comes from it. Every KLAP recording also runs
served over HTTPS (port 4433) with the flag set by us (test_smart_emulator_matrix.HTTPS):
no plug or strip recording has it.
"""

from __future__ import annotations

import pytest
from django.db.models import Sum

from devices import tasks
from devices.models import Device, Reading
from tests.smart_emulator import SmartEmulator

from .test_smart_emulator_matrix import CASES, HTTPS, METERED, spec_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

LOAD_W = 50.0
ROWS: list[tuple[str, str, str, str]] = []


@pytest.fixture(scope="module")
def fleet(request):
    """One emulator serving every recording, each on its own 127.x.y.z."""
    specs = [spec_for(kind, name, load_w=LOAD_W) for kind, name in CASES]
    with SmartEmulator(specs) as emu:
        yield {(kind, name): s.host for (kind, name), s in zip(CASES, emu.specs, strict=True)}, emu
    _print_matrix(request.config)


def _print_matrix(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not ROWS:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(
            f"{'model':<16} {'firmware':<9} {'protocol':<48} result (through the product)"
        )
        for model, firmware, protocol, result in sorted(ROWS):
            reporter.write_line(f"{model:<16} {firmware:<9} {protocol:<48} {result}")


def _protocol(device: Device) -> str:
    link = device.connection
    if not link:
        return "XOR (legacy)"
    protocol = f"{link.get('encryption_type')} {link.get('device_family', '')}"
    protocol += f" lv{link['login_version']}" if link.get("login_version") else ""
    return protocol + (" HTTPS" if link.get("https") else "")


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{k}/{n}" for k, n in CASES])
def test_recorded_device_works_through_the_product(fleet, kind, name, admin_api, devices_settings):
    hosts, emu = fleet
    host = hosts[(kind, name)]
    model, _, firmware = name.partition("_")
    firmware = firmware.split("_")[-1]
    username, password = emu.account(host)
    login = {"username": username, "password": password}
    ROWS.append((model, firmware, "?", "FAIL: discovery"))
    emu.relay(host, True)

    # discovery finds it (and adds it) ...
    devices_settings.KASA_DISCOVERY_TARGET = [host]
    found = admin_api.post("/api/discover", login, format="json")
    assert found.status_code == 200, found.json()
    assert [d["device_ip"] for d in found.json()["devices"]] == [host], found.json()
    first = Device.objects.get(host=host, parent__isnull=True)
    assert admin_api.delete(f"/api/devices/{first.pk}").status_code == 204

    # ... and a manual add by IP adds it with the household's account the discovery stored
    ROWS[-1] = (model, firmware, "?", "FAIL: add")
    added = admin_api.post("/api/devices", {"ip": host}, format="json")
    assert added.status_code == 201, added.json()
    device = Device.objects.get(pk=added.json()["id"])
    protocol = _protocol(device) + (" (flag set by us)" if kind == HTTPS else "")
    assert device.connection.get("https", False) is (kind == HTTPS)
    assert device.port == emu.port(host)
    ROWS[-1] = (model, firmware, protocol, "FAIL: poll")
    outlets = list(device.outlets.order_by("child_id"))
    assert len(outlets) == len(emu.info(host)["children"])
    members = outlets or [device]

    tasks.poll_devices()
    emu.advance(360)  # six minutes of load for every device
    tasks.poll_devices()
    device.refresh_from_db()
    assert device.status == "online", device.offline_reason

    ROWS[-1] = (model, firmware, protocol, "FAIL: on/off")
    target = members[-1]
    off = admin_api.post(f"/api/device/{target.pk}/control", {"action": "off"}, format="json")
    assert off.status_code == 200, off.json()
    assert off.json()["is_on"] is False
    assert emu.is_on(host, child=target.child_id or None) is False
    tasks.poll_devices()

    ROWS[-1] = (model, firmware, protocol, "FAIL: readings")
    assert not Reading.objects.filter(device=device).exists() or not outlets
    latest = Reading.objects.filter(device=target).latest("timestamp")
    assert latest.is_on is False and not latest.power_w
    metered = METERED[(kind, name)]
    if metered:
        gained = Reading.objects.filter(device__in=members).aggregate(kwh=Sum("energy_delta_kwh"))
        expected = LOAD_W * 360 / 3_600_000 * len(members)
        assert gained["kwh"] == pytest.approx(expected, rel=0.1, abs=0.002)
    result = f"ok ({len(outlets)} outlets)" if outlets else "ok"
    ROWS[-1] = (model, firmware, protocol, result + ("" if metered else ", no meter"))
