"""Discovery at the loopback broadcast target, the discover command, and manual adds."""

from __future__ import annotations

import socket
import threading
from io import StringIO

import pytest
from django.core.management import call_command

from devices.models import Device
from security.models import AuditLog

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_discover_api_finds_every_simulated_device_type(operator_api, fleet, devices_settings):
    response = operator_api.post("/api/discover", {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["discovered"] >= 7
    mine = {d.host: d for d in fleet.mine(Device.objects.filter(parent__isnull=True))}
    assert mine[fleet["hs110"]].device_type == "plug" and mine[fleet["hs110"]].has_emeter
    assert mine[fleet["hs100"]].has_emeter is False
    assert mine[fleet["bulb"]].device_type == "bulb"
    assert mine[fleet["hs300"]].device_type == "strip"
    assert mine[fleet["hs110"]].device_id == fleet.mac("hs110")
    assert AuditLog.objects.filter(action="device.discover").exists()


def test_a_discovery_past_its_deadline_keeps_the_devices_that_answered(
    operator_api, fleet, devices_settings, monkeypatch
):
    # A busy network: the Kettle answers, then the discovery never ends (found by CI runs
    # side by side, whose simulators all answer a loopback broadcast). It was a 500.
    import asyncio

    from devices import kasa_client

    discovery = kasa_client._kasa().Discover  # python-kasa's, as kasa_client loads it

    async def endless(*, on_discovered=None, **options):
        kettle = await discovery.discover_single(fleet["hs110"])
        if on_discovered is not None:
            await on_discovered(kettle)
        await asyncio.sleep(60)

    monkeypatch.setattr(discovery, "discover", endless)
    response = operator_api.post("/api/discover", {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["discovered"] == 1
    assert Device.objects.get(host=fleet["hs110"]).alias == "Kettle"


def test_strip_outlets_become_devices_linked_to_their_strip(operator_api, fleet, devices_settings):
    operator_api.post("/api/discover", {}, format="json")

    strip = Device.objects.get(host=fleet["hs300"], parent__isnull=True)
    outlets = list(strip.outlets.order_by("child_id"))
    assert len(outlets) == 6
    assert {o.device_type for o in outlets} == {"outlet"}
    assert outlets[0].device_id == f"{fleet.mac('hs300')}_{outlets[0].child_id}"
    assert [o.alias for o in outlets[:2]] == ["Monitor", "Lamp"]


def test_discovering_twice_never_duplicates_a_device(operator_api, fleet, devices_settings):
    operator_api.post("/api/discover", {}, format="json")
    first = Device.objects.count()
    operator_api.post("/api/discover", {}, format="json")
    assert Device.objects.count() == first


def test_viewers_may_not_discover(viewer_api, devices_settings):
    response = viewer_api.post("/api/discover", {}, format="json")
    assert response.status_code == 403
    assert response.json()["required_permission"] == "devices.discover"


def test_discover_command_prints_what_it_found(fleet, devices_settings):
    out = StringIO()
    call_command("discover", "--target", "127.255.255.255", "--timeout", "0.5", stdout=out)
    text = out.getvalue()
    assert fleet["hs110"] in text and "Kettle" in text
    assert "(6 outlets)" in text
    assert "Found" in text


def test_manual_add_talks_to_the_device_first(operator_api, fleet, devices_settings):
    response = operator_api.post("/api/devices/manual", {"ip": fleet["hs100"]}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["device_ip"], body["model"], body["alias"]) == (fleet["hs100"], "HS100", "Fan")
    assert body["mac"] == fleet.mac("hs100") and body["status"] == "online"


def test_manual_add_of_a_known_device_is_a_conflict(operator_api, fleet, devices_settings):
    operator_api.post("/api/devices/manual", {"ip": fleet["hs110"]}, format="json")
    response = operator_api.post("/api/devices/manual", {"ip": fleet["hs110"]}, format="json")
    assert response.status_code == 409
    assert "already known" in response.json()["message"]


def test_manual_add_where_nothing_answers_says_so(operator_api, fleet, devices_settings):
    response = operator_api.post("/api/devices/manual", {"ip": fleet["spare"]}, format="json")
    assert response.status_code == 400
    assert "No device answered" in response.json()["message"]
    assert not Device.objects.exists()


def test_manual_add_of_something_that_is_not_a_kasa_device_says_so(
    operator_api, fleet, devices_settings
):
    with _http_like_server(fleet["spare"]):
        response = operator_api.post("/api/devices/manual", {"ip": fleet["spare"]}, format="json")
    assert response.status_code == 400
    assert "not a Kasa device" in response.json()["message"]


def test_manual_add_rejects_a_malformed_address(operator_api):
    response = operator_api.post("/api/devices/manual", {"ip": "not-an-ip"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "ip"


def test_device_monitoring_backends_create_route_adds_with_a_name(
    operator_api, fleet, devices_settings
):
    response = operator_api.post(
        "/api/devices/", {"ip_address": fleet["flaky"], "name": "Garage door"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["alias"] == "Garage door"
    assert fleet.sim.state(fleet["flaky"])["alias"] == "Garage door"  # renamed on the device
    operator_api.put(f"/api/devices/{fleet['flaky']}", {"alias": "Garage"}, format="json")
    assert fleet.sim.state(fleet["flaky"])["alias"] == "Garage"


class _http_like_server:
    """A TCP listener on addr:9999 that answers like a web server (not Kasa)."""

    def __init__(self, address: str):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, 9999))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.stop = threading.Event()

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.sock.close()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(64)
                    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                except OSError:
                    pass
