"""KLAP/AES ("smart") Kasa and Tapo devices through the product: manual add by IP, the
household's TP-Link account, discovery with credentials, polls that keep the session,
energy from the today/month counters, strips, and a device whose credentials changed.

Devices are the emulator's (tests/smart_emulator), serving python-kasa's recordings of
real devices over the real wire protocols on loopback.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from accounts import sessions
from devices import tasks
from devices.models import CloudAccount, DailyRollup, Device, Outage, Reading
from tests.devices.smart import account, add
from tests.factories import DeviceFactory
from tests.smart_emulator import DeviceSpec
from tests.support import api_client_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

KLAP_PLUG = "KP125M(US)_1.0_1.2.3"  # SMART.KASAPLUG, KLAP v2, energy
AES_PLUG = "P110(EU)_1.0_1.2.3"  # SMART.TAPOPLUG, AES (password2 login), energy
STRIP = "P304M(UK)_1.0_1.0.3"  # 4 sockets, each metered
XOR_PLUG = "HS110(EU)_4.0_1.0.4"  # legacy


def logged_in(user, **options) -> Client:
    """A page client with a real access cookie (as tests/web does)."""
    client = Client(**options)
    client.cookies["access_token"] = sessions.session_start(
        user, ip="127.0.0.1", user_agent="pytest"
    ).access
    return client


def poll() -> None:
    tasks.poll_devices()  # the Celery task's own function: the real poll path


# -- manual add by IP ------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", [KLAP_PLUG, AES_PLUG])
def test_a_smart_plug_is_added_by_ip_with_the_households_account(operator_api, emulate, fixture):
    emu = emulate(DeviceSpec(fixture, alias="Kettle", load_w=60.0))
    host = emu.hosts[0]

    response = add(operator_api, host, **account(emu, host))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["model"], body["alias"], body["device_ip"]) == (
        fixture.split("(")[0],
        "Kettle",
        host,
    )
    assert body["has_credentials"] is False  # they became the household's account
    device = Device.objects.get(pk=body["id"])
    assert device.connection["encryption_type"] in ("KLAP", "AES")
    assert device.port == emu.port(host)
    assert operator_api.get("/api/devices/credentials").json()["configured"] is True


def test_adding_without_credentials_says_the_device_needs_them(operator_api, emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG))
    host = emu.hosts[0]

    response = add(operator_api, host)

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "DEVICE_CREDENTIALS_REQUIRED"
    assert body["reason"] == "credentials_required"
    assert "KP125M" in body["message"] and "TP-Link account" in body["message"]
    assert {"detail", "message", "code", "status_code", "timestamp"} <= set(body)
    assert not Device.objects.exists()


def test_wrong_credentials_are_a_clear_400_and_nothing_is_stored(operator_api, emulate):
    emu = emulate(DeviceSpec(AES_PLUG))
    host = emu.hosts[0]

    response = add(operator_api, host, username=emu.account(host)[0], password="not-it")

    assert response.status_code == 400
    assert response.json()["error_code"] == "DEVICE_CREDENTIALS_REJECTED"
    assert "refused these TP-Link account credentials" in response.json()["message"]
    assert not Device.objects.exists() and not CloudAccount.objects.exists()


def test_an_empty_address_is_no_device_quickly(operator_api, emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG))
    empty = emu.hosts[0].rsplit(".", 1)[0] + ".250"  # same free block, nothing bound

    started = time.monotonic()
    response = add(operator_api, empty, **account(emu, emu.hosts[0]))

    assert response.status_code == 400
    assert response.json()["error_code"] == "DEVICE_NOT_FOUND_AT_ADDRESS"
    assert response.json()["reason"] == "unreachable"
    assert time.monotonic() - started < 2


def test_the_household_account_adds_the_next_plugs_without_asking(operator_api, emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG), DeviceSpec(AES_PLUG), DeviceSpec(XOR_PLUG, kind="iot"))
    first, second, legacy = emu.hosts
    assert add(operator_api, first, **account(emu, first)).status_code == 201

    assert add(operator_api, second).status_code == 201
    assert add(operator_api, legacy).status_code == 201

    rows = {d.host: d for d in Device.objects.all()}
    assert rows[legacy].connection == {} and rows[legacy].port == 9999
    assert all(not d.credentials for d in rows.values())


def test_a_device_with_another_account_keeps_its_own(operator_api, emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG), DeviceSpec(KLAP_PLUG, username="neighbour@example.com"))
    ours, theirs = emu.hosts
    assert add(operator_api, ours, **account(emu, ours)).status_code == 201

    refused = add(operator_api, theirs)
    assert refused.status_code == 400
    assert "household's TP-Link account" in refused.json()["message"]
    response = add(operator_api, theirs, **account(emu, theirs))

    assert response.status_code == 201 and response.json()["has_credentials"] is True
    emu.relay(ours, True)
    emu.relay(theirs, True)
    poll()
    assert set(Device.objects.values_list("status", flat=True)) == {"online"}


# -- the household's account is never given back ---------------------------------------------


def test_the_account_is_stored_encrypted_and_never_returned(admin_api, emulate, caplog):
    emu = emulate(DeviceSpec(KLAP_PLUG))
    host = emu.hosts[0]
    username, password = emu.account(host)
    caplog.set_level("DEBUG")
    add(admin_api, host, username=username, password=password)
    put = admin_api.put(
        "/api/devices/credentials", {"username": username, "password": password}, format="json"
    )

    row = CloudAccount.objects.get()
    assert password not in row.credentials and username not in row.credentials
    device = Device.objects.get()
    texts = [
        put.content,
        admin_api.get("/api/devices/credentials").content,
        admin_api.get("/api/devices").content,
        admin_api.get(f"/api/devices/{device.pk}").content,
        caplog.text.encode(),
    ]
    assert not [t for t in texts if password.encode() in t]
    assert put.json() == {"configured": True, "updated_at": put.json()["updated_at"]}
    assert admin_api.delete("/api/devices/credentials").status_code == 204
    assert admin_api.get("/api/devices/credentials").json()["configured"] is False


def test_viewers_cannot_set_the_account(viewer_api):
    body = {"username": "a@example.com", "password": "x"}
    assert viewer_api.put("/api/devices/credentials", body, format="json").status_code == 403


# -- discovery with credentials --------------------------------------------------------------


def test_discovery_lists_devices_that_need_the_account_then_adds_them_with_it(
    operator_api, emulate, devices_settings
):
    emu = emulate(DeviceSpec(KLAP_PLUG), DeviceSpec(XOR_PLUG, kind="iot"))
    smart, legacy = emu.hosts
    devices_settings.KASA_DISCOVERY_TARGET = [smart, legacy]

    first = operator_api.post("/api/discover", {}, format="json").json()

    assert [d["device_ip"] for d in first["devices"]] == [legacy]
    assert first["needs_credentials"] == [
        {
            "ip": smart,
            "model": "KP125M",
            "mac": emu.info(smart)["mac"].replace("-", ":"),
            "reason": "credentials_required",
        }
    ]
    wrong = {"username": emu.account(smart)[0], "password": "wrong"}
    refused = operator_api.post("/api/discover", wrong, format="json").json()
    assert refused["needs_credentials"][0]["reason"] == "credentials_rejected"
    assert not CloudAccount.objects.exists()

    second = operator_api.post("/api/discover", account(emu, smart), format="json").json()

    assert second["needs_credentials"] == []
    assert sorted(d["device_ip"] for d in second["devices"]) == sorted([smart, legacy])
    assert Device.objects.get(host=smart).credentials == ""  # the household's account
    assert CloudAccount.objects.get().credentials


def test_the_dashboards_discover_form_asks_for_the_account_without_javascript(
    operator_user, emulate, devices_settings
):
    emu = emulate(DeviceSpec(KLAP_PLUG))
    (smart,) = emu.hosts
    devices_settings.KASA_DISCOVERY_TARGET = [smart]
    client = logged_in(operator_user)

    page = client.post("/devices/discover", {}, follow=True).content.decode()

    assert f"KP125M at {smart}: needs your TP-Link account" in page
    assert not Device.objects.filter(host=smart).exists()
    page = client.post("/devices/discover", account(emu, smart), follow=True).content.decode()
    assert "Discovery finished: 1 device(s) found." in page
    assert Device.objects.filter(host=smart).exists() and CloudAccount.objects.get().credentials


def test_manage_py_discover_takes_the_password_from_the_environment(emulate, capsys, monkeypatch):
    emu = emulate(DeviceSpec(KLAP_PLUG, alias="Desk"))
    host = emu.hosts[0]
    username, password = emu.account(host)

    call_command("discover", target=[host], timeout=1.0)
    assert "needs the TP-Link account" in capsys.readouterr().out

    monkeypatch.setenv("KASA_CLOUD_PASSWORD", password)
    call_command("discover", target=[host], timeout=1.0, username=username)

    out = capsys.readouterr().out
    assert "Desk" in out and password not in out
    assert Device.objects.get().host == host
    assert "KASA_CLOUD_PASSWORD" in os.environ  # nothing was put on a command line


# -- polls ------------------------------------------------------------------------------------


def test_polls_keep_the_klap_session_and_shake_hands_again_after_a_restart(operator_api, emulate):
    emu = emulate(DeviceSpec(KLAP_PLUG, load_w=100.0))
    host = emu.hosts[0]
    emu.relay(host, True)
    assert add(operator_api, host, **account(emu, host)).status_code == 201
    before = emu.handshakes(host)

    for _ in range(4):
        poll()
    assert emu.handshakes(host) - before == 1  # the first poll connects; three reuse it

    emu.restart(host)
    poll()
    poll()
    assert emu.handshakes(host) - before == 2
    device = Device.objects.get()
    assert device.status == "online" and device.readings.count() == 6


def test_polls_of_an_aes_plug_keep_the_session_too(operator_api, emulate):
    emu = emulate(DeviceSpec(AES_PLUG))
    host = emu.hosts[0]
    assert add(operator_api, host, **account(emu, host)).status_code == 201
    before = emu.handshakes(host)
    for _ in range(3):
        poll()
    assert emu.handshakes(host) - before == 1
    emu.expire_sessions(host)
    poll()
    assert emu.handshakes(host) - before == 2
    assert Device.objects.get().status == "online"


def test_energy_comes_from_the_month_counter_across_the_devices_midnight(operator_user, emulate):
    # 23:00 on 9 March where the device is (America/Denver, the recording's region)
    with time_machine.travel(datetime(2026, 3, 10, 5, 0, tzinfo=UTC), tick=True):
        operator_api = api_client_for(operator_user)  # a token of the travelled-to time
        emu = emulate(DeviceSpec(KLAP_PLUG, load_w=120.0))
        host = emu.hosts[0]
        emu.relay(host, True)
        assert add(operator_api, host, **account(emu, host)).status_code == 201
        poll()
        emu.advance(2 * 3600)  # two hours for the device: its today counter restarts
        poll()
        assert emu.reading(host)["today_wh"] < 200  # one hour since its midnight, not two

        reading = Reading.objects.filter(device__host=host).latest("timestamp")
        assert reading.energy_total_kwh is None  # smart devices have no lifetime counter
        assert reading.energy_delta_kwh == pytest.approx(0.240, abs=0.002)  # 120 W x 2 h

        emu.set_energy(host, today_wh=0, month_wh=0)  # a new month: the counter restarts
        emu.advance(600)
        poll()
        # history (hourly rollups) and stats count it like any legacy device's energy
        pk = Device.objects.get(host=host).pk
        span = {"interval": "1h", "start_time": "2026-03-09", "end_time": "2026-03-11"}
        history = operator_api.get(f"/api/device/{pk}/history", span).json()
        assert sum(p["energy_kwh"] for p in history) == pytest.approx(0.260, abs=0.004)
    after_reset = Reading.objects.filter(device__host=host).latest("timestamp")
    assert after_reset.energy_delta_kwh == pytest.approx(0.020, abs=0.002)  # the new count


def test_a_strip_gives_each_socket_its_readings_and_switch(operator_api, emulate):
    emu = emulate(DeviceSpec(STRIP, load_w=30.0))
    host = emu.hosts[0]
    emu.relay(host, True)
    response = add(operator_api, host, **account(emu, host))
    assert response.status_code == 201, response.json()
    strip = Device.objects.get(parent__isnull=True)
    outlets = list(strip.outlets.order_by("child_id"))
    assert len(outlets) == 4 and strip.device_type == "strip"

    poll()
    emu.advance(3600)
    poll()
    off = operator_api.post(
        f"/api/device/{outlets[1].pk}/control", {"action": "off"}, format="json"
    )
    assert off.status_code == 200 and off.json()["is_on"] is False
    assert emu.is_on(host, child=outlets[1].child_id) is False
    poll()

    for outlet in outlets:
        latest = outlet.readings.latest("timestamp")
        assert latest.is_on is (outlet != outlets[1])
        gained = outlet.readings.aggregate(kwh=Sum("energy_delta_kwh"))["kwh"]
        assert gained == pytest.approx(0.030, abs=0.002)  # 30 W for the hour
    assert not strip.readings.exists()


# -- credentials that stop working -------------------------------------------------------------


def test_changed_credentials_are_auth_failed_and_fixing_them_backfills_the_gap(
    emulate, operator_user, settings
):
    settings.TIME_ZONE = "America/Denver"  # the recording's region: days as the device counts them
    with time_machine.travel(datetime(2026, 3, 10, 18, 0, tzinfo=UTC), tick=True) as traveller:
        operator_api = api_client_for(operator_user)
        emu = emulate(DeviceSpec(KLAP_PLUG, load_w=100.0))
        host = emu.hosts[0]
        emu.relay(host, True)
        assert add(operator_api, host, **account(emu, host)).status_code == 201
        poll()
        device = Device.objects.get()

        emu.set_credentials(host, "owner@example.com", "a-new-password")
        poll()
        poll()
        device.refresh_from_db()
        assert (device.status, device.offline_reason) == ("auth_failed", "auth_failed")
        assert Outage.objects.get(device=device).reason == "auth_failed"
        assert operator_api.get("/api/devices/status").json()["auth_failed"] == 1
        page = logged_in(operator_user).get("/").content.decode()
        assert "Update credentials" in page and f"/devices/{device.pk}/credentials" in page
        assert 'method="post"' in page and 'name="csrfmiddlewaretoken"' in page  # no JS needed

        # Three days go by before anyone notices.
        emu.advance(3 * 86400)
        traveller.shift(timedelta(days=3))
        client = logged_in(operator_user)  # (the first login's token has expired by now)
        refused = client.post(
            f"/devices/{device.pk}/credentials",
            {"username": "owner@example.com", "password": "still-wrong", "scope": "household"},
        )
        assert refused.status_code == 400 and "refused" in refused.content.decode()
        fixed = client.post(
            f"/devices/{device.pk}/credentials",
            {"username": "owner@example.com", "password": "a-new-password", "scope": "household"},
        )
        assert fixed.status_code == 302
        poll()

    device.refresh_from_db()
    assert device.status == "online"
    assert Outage.objects.get(device=device).ended_at is not None
    days = {r.day: r for r in DailyRollup.objects.filter(device=device)}
    backfilled = [r for r in days.values() if r.backfilled]
    assert len(backfilled) == 2  # the whole local days inside the gap
    assert all(r.energy_kwh == pytest.approx(2.4, abs=0.01) for r in backfilled)  # 100 W x 24 h
    total = sum(r.energy_kwh for r in days.values())
    assert total == pytest.approx(7.2, abs=0.05)  # three days at 100 W: no kWh lost


def test_the_credentials_form_needs_its_csrf_token_and_the_edit_permission(
    operator_user, viewer_user
):
    device = DeviceFactory(status="auth_failed", connection={"encryption_type": "KLAP"})
    url = f"/devices/{device.pk}/credentials"
    body = {"username": "owner@example.com", "password": "x", "scope": "household"}

    assert logged_in(operator_user, enforce_csrf_checks=True).post(url, body).status_code == 403
    assert logged_in(viewer_user).post(url, body).status_code == 403
    assert "Update credentials" in logged_in(operator_user).get(url).content.decode()
    assert not CloudAccount.objects.exists()


def test_a_strips_sockets_are_backfilled_each_after_its_credentials_are_fixed(
    emulate, operator_user, settings
):
    settings.TIME_ZONE = "Europe/London"  # the recording's region
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=True) as traveller:
        operator_api = api_client_for(operator_user)
        emu = emulate(DeviceSpec(STRIP, load_w=50.0))
        host = emu.hosts[0]
        emu.relay(host, True)
        assert add(operator_api, host, **account(emu, host)).status_code == 201
        poll()
        emu.set_credentials(host, "owner@example.com", "a-new-password")
        poll()
        poll()
        strip = Device.objects.get(parent__isnull=True)
        assert set(Device.objects.values_list("status", flat=True)) == {"auth_failed"}

        emu.advance(3 * 86400)
        traveller.shift(timedelta(days=3))
        operator_api = api_client_for(operator_user)
        fixed = operator_api.post(
            f"/api/devices/{strip.pk}/credentials",
            {"username": "owner@example.com", "password": "a-new-password"},
            format="json",
        )
        assert fixed.status_code == 200, fixed.json()
        poll()

    for outlet in strip.outlets.all():
        outlet.refresh_from_db()
        assert outlet.status == "online"
        days = DailyRollup.objects.filter(device=outlet)
        backfilled = [r.energy_kwh for r in days if r.backfilled]
        assert backfilled == [pytest.approx(1.2, abs=0.01)] * 2  # 50 W x 24 h, each socket
        assert sum(r.energy_kwh for r in days) == pytest.approx(3.6, abs=0.03)


# -- a host that answers only to TP-Link's default or blank credentials ----------------------
# python-kasa falls back to them when a device refuses the account (KLAP: handshake1's hash;
# AES: login_device). A plug factory-reset, or something on the LAN that took its address
# and does not know the account, would then be polled as if it were the plug.

# The well-known defaults python-kasa 0.12 tries (kasa/credentials.py DEFAULT_CREDENTIALS).
TP_LINK_DEFAULTS = {
    "blank": ("", ""),
    "KASA": ("kasa@tp-link.net", "kasaSetup"),
    "TAPO": ("test@tp-link.net", "test"),
}


@pytest.mark.parametrize(
    ("recording", "fallback"),
    [(KLAP_PLUG, "blank"), (KLAP_PLUG, "KASA"), (AES_PLUG, "TAPO")],
)
def test_a_host_answering_only_to_default_or_blank_credentials_is_refused(
    emulate, operator_api, recording, fallback
):
    emu = emulate(DeviceSpec(recording, load_w=100.0))
    host = emu.hosts[0]
    emu.relay(host, True)
    assert add(operator_api, host, **account(emu, host)).status_code == 201
    poll()
    device = Device.objects.get()
    readings = device.readings.count()
    assert device.status == "online" and readings == 1

    emu.set_credentials(host, *TP_LINK_DEFAULTS[fallback])
    emu.expire_sessions(host)
    poll()
    poll()
    device.refresh_from_db()
    assert (device.status, device.offline_reason) == ("auth_failed", "auth_failed")
    assert device.readings.count() == readings  # nothing read from the stranger


def test_a_device_added_without_an_account_still_uses_the_default_credentials(
    emulate, operator_api
):
    # No account given: nothing to protect, python-kasa's defaults work as before.
    emu = emulate(DeviceSpec(KLAP_PLUG, load_w=100.0))
    host = emu.hosts[0]
    emu.set_credentials(host, *TP_LINK_DEFAULTS["KASA"])
    emu.relay(host, True)
    assert add(operator_api, host).status_code == 201
    poll()
    assert Device.objects.get().status == "online"
