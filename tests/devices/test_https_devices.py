"""KLAP over HTTPS (port 4433) through the product: discovery (API and manage.py), manual
add by IP (also with a port given), polls that keep the TLS connection and the KLAP session
(and a device that drops idle connections), on/off, a device whose account changed
(auth_failed), and firmware that turns HTTPS on later (with the household's account, and
with a device's own).

python-kasa talks HTTPS when the discovery answer's `mgt_encrypt_schm.is_support_https` is
true: KLAP v2 to https://HOST:<http_port, else 4433>/app, certificate not verified
(kasa/transports/sslcontext.py). The emulator serves it with a self-signed certificate made
at run time (tests/smart_emulator/tls.py).

Which devices: of python-kasa 0.12's recordings only two robot vacuums say
is_support_https (RV30 Max: KLAP; RV20 Max Plus: AES over TLS, another transport). No
energy plug recorded it, so the plugs below are the KP125M recording with the flag SET BY
THE TEST (`DeviceSpec(https=True)`; the emulator reports `https_source == "override"`).
The RV30 Max is served as recorded, to show the product refuses it clearly (not a plug).
"""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from devices import tasks
from devices.models import Device, Reading
from tests.devices.smart import account, add
from tests.smart_emulator import DeviceSpec

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

KLAP_PLUG = "KP125M(US)_1.0_1.2.3"  # recorded over HTTP; served over HTTPS by override
VACUUM = "RV30 Max(US)_1.0_1.2.0"  # recorded with is_support_https true (KLAP, 4433)


def https_plug(**kwargs) -> DeviceSpec:
    return DeviceSpec(KLAP_PLUG, https=True, **kwargs)  # the override, see the docstring


def test_the_emulator_serves_https_as_python_kasa_expects_it(emulate):
    emu = emulate(https_plug(), DeviceSpec(VACUUM))
    plug, vacuum = emu.hosts

    assert emu.info(plug)["https"] is True and emu.info(plug)["https_source"] == "override"
    assert emu.info(vacuum)["https"] is True and emu.info(vacuum)["https_source"] == "recording"
    # 4433 needs no privilege: each device has its own loopback address, as on a LAN
    assert emu.port(plug) == emu.port(vacuum) == 4433


def test_an_https_plug_is_added_by_ip_and_its_connection_says_https(operator_api, emulate):
    emu = emulate(https_plug(alias="Dryer", load_w=500.0))
    host = emu.hosts[0]

    response = add(operator_api, host, **account(emu, host))

    assert response.status_code == 201, response.json()
    assert (response.json()["model"], response.json()["alias"]) == ("KP125M", "Dryer")
    device = Device.objects.get()
    assert device.port == 4433
    assert device.connection["https"] is True
    assert device.connection["encryption_type"] == "KLAP"
    assert device.connection["http_port"] == 4433


def test_polls_of_an_https_plug_keep_the_session_and_record_energy(operator_api, emulate):
    emu = emulate(https_plug(load_w=500.0))
    host = emu.hosts[0]
    emu.relay(host, True)
    assert add(operator_api, host, **account(emu, host)).status_code == 201
    before = emu.handshakes(host)

    tasks.poll_devices()
    connections = emu.info(host)["connections"]
    emu.advance(360)
    tasks.poll_devices()
    tasks.poll_devices()

    assert emu.handshakes(host) - before == 1  # one KLAP handshake, then the session is reused
    assert emu.info(host)["connections"] == connections  # over the same TLS connection
    device = Device.objects.get()
    assert device.status == "online" and device.readings.count() == 3
    latest = device.readings.latest("timestamp")
    assert latest.power_w == pytest.approx(500.0)
    gained = sum(r.energy_delta_kwh or 0 for r in device.readings.all())
    assert gained == pytest.approx(0.050, abs=0.002)  # 500 W for six minutes

    emu.restart(host)  # the device forgets the session: one new handshake, still online
    tasks.poll_devices()
    tasks.poll_devices()
    assert emu.handshakes(host) - before == 2
    assert Device.objects.get().status == "online"


def test_a_plug_that_closes_idle_connections_is_polled_with_its_kept_session(operator_api, emulate):
    emu = emulate(https_plug(load_w=25.0, keepalive_timeout=0.2))
    host = emu.hosts[0]
    emu.relay(host, True)
    assert add(operator_api, host, **account(emu, host)).status_code == 201
    before, connections = emu.handshakes(host), emu.info(host)["connections"]

    for _ in range(3):
        tasks.poll_devices()
        time.sleep(0.4)  # the device has closed the idle TLS connection by now

    assert emu.info(host)["connections"] - connections == 3  # a TLS connection per poll ...
    assert emu.handshakes(host) - before == 1  # ... and the same KLAP session
    device = Device.objects.get()
    assert device.status == "online" and device.readings.count() == 3


def test_an_https_plug_is_switched_off_and_on(operator_api, emulate):
    emu = emulate(https_plug(load_w=40.0))
    host = emu.hosts[0]
    emu.relay(host, True)
    assert add(operator_api, host, **account(emu, host)).status_code == 201
    pk = Device.objects.get().pk

    off = operator_api.post(f"/api/device/{pk}/control", {"action": "off"}, format="json")
    assert off.status_code == 200, off.json()
    assert off.json()["is_on"] is False and emu.is_on(host) is False

    on = operator_api.post(f"/api/device/{pk}/control", {"action": "on"}, format="json")
    assert on.status_code == 200 and on.json()["is_on"] is True and emu.is_on(host) is True


def test_wrong_credentials_on_an_https_plug(operator_api, emulate):
    emu = emulate(https_plug())
    host = emu.hosts[0]
    username = emu.account(host)[0]

    refused = add(operator_api, host, username=username, password="not-it")
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "DEVICE_CREDENTIALS_REJECTED"

    assert add(operator_api, host, **account(emu, host)).status_code == 201
    tasks.poll_devices()
    emu.set_credentials(host, username, "a-new-password")
    tasks.poll_devices()
    tasks.poll_devices()
    device = Device.objects.get()
    assert (device.status, device.offline_reason) == ("auth_failed", "auth_failed")


def test_discovery_finds_https_plugs_and_stores_how_to_reach_them(
    operator_api, emulate, devices_settings
):
    emu = emulate(https_plug(alias="Heater"), DeviceSpec(KLAP_PLUG, alias="Lamp"))
    secure, plain = emu.hosts
    devices_settings.KASA_DISCOVERY_TARGET = [secure, plain]

    first = operator_api.post("/api/discover", {}, format="json").json()
    assert sorted(d["ip"] for d in first["needs_credentials"]) == sorted([secure, plain])

    found = operator_api.post("/api/discover", account(emu, secure), format="json").json()

    assert sorted(d["device_ip"] for d in found["devices"]) == sorted([secure, plain])
    rows = {d.host: d for d in Device.objects.all()}
    assert rows[secure].connection["https"] is True and rows[secure].port == 4433
    assert rows[plain].connection["https"] is False and rows[plain].port == emu.port(plain)
    emu.relay(secure, True)
    tasks.poll_devices()
    assert Reading.objects.filter(device=rows[secure], is_on=True).exists()


def test_manage_py_discover_finds_an_https_plug(emulate, capsys, monkeypatch):
    emu = emulate(https_plug(alias="Kiln"))
    host = emu.hosts[0]
    username, password = emu.account(host)
    monkeypatch.setenv("KASA_CLOUD_PASSWORD", password)

    call_command("discover", target=[host], timeout=1.0, username=username)

    assert "Kiln" in capsys.readouterr().out
    device = Device.objects.get()
    assert device.connection["https"] is True and device.port == 4433


def test_a_recorded_https_vacuum_is_refused_as_not_a_plug(operator_api, emulate):
    emu = emulate(DeviceSpec(VACUUM))
    host = emu.hosts[0]

    response = add(operator_api, host, **account(emu, host))

    assert response.status_code == 400, response.json()
    assert "not supported" in response.json()["message"]
    assert not Device.objects.exists()


def test_a_plug_whose_firmware_turns_https_on_is_found_again_and_polled_over_it(
    operator_api, emulate, devices_settings
):
    emu = emulate(DeviceSpec(KLAP_PLUG, load_w=80.0))
    host = emu.hosts[0]
    devices_settings.KASA_DISCOVERY_TARGET = [host]
    emu.relay(host, True)
    assert add(operator_api, host, **account(emu, host)).status_code == 201
    tasks.poll_devices()
    device = Device.objects.get()
    assert device.connection["https"] is False

    emu.set_https(host)  # a firmware update: KLAP over HTTPS on 4433 from now on
    tasks.poll_devices()  # the stored HTTP connection is refused
    tasks.discover_devices()  # the periodic re-discovery (also queued when one goes offline)
    device.refresh_from_db()
    assert device.connection["https"] is True and device.port == 4433
    tasks.poll_devices()

    device.refresh_from_db()
    assert device.status == "online"
    assert device.readings.latest("timestamp").power_w == pytest.approx(80.0)
    assert Device.objects.count() == 1  # the same device (same id), not a new one


@pytest.mark.parametrize("port", [80, 4433])
def test_a_port_given_with_the_address_does_not_hide_where_the_device_serves(
    operator_api, emulate, port
):
    # The add form's port is the legacy protocol's; an HTTPS plug says in its discovery
    # answer that it serves on 4433, and that is where the product must talk to it.
    emu = emulate(https_plug(alias="Fridge"))
    host = emu.hosts[0]

    response = add(operator_api, host, port=port, **account(emu, host))

    assert response.status_code == 201, response.json()
    device = Device.objects.get()
    assert (device.port, device.connection["https"]) == (4433, True)
    tasks.poll_devices()
    device.refresh_from_db()
    assert device.status == "online"


def test_a_plug_with_its_own_account_is_found_again_after_turning_https_on(
    operator_api, emulate, devices_settings
):
    emu = emulate(DeviceSpec(KLAP_PLUG), DeviceSpec(KLAP_PLUG, username="neighbour@example.com"))
    ours, theirs = emu.hosts
    devices_settings.KASA_DISCOVERY_TARGET = [ours, theirs]
    assert add(operator_api, ours, **account(emu, ours)).status_code == 201
    assert add(operator_api, theirs, **account(emu, theirs)).json()["has_credentials"] is True

    emu.set_https(theirs)
    tasks.poll_devices()
    tasks.discover_devices()

    device = Device.objects.get(host=theirs)
    assert (device.port, device.connection["https"]) == (4433, True)
    emu.relay(theirs, True)
    tasks.poll_devices()
    device.refresh_from_db()
    assert device.status == "online" and device.is_on is True
