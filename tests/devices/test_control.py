"""Switching devices: seen by the simulator, answered with the new state, audited, guarded."""

from __future__ import annotations

import pytest

from security.models import AuditLog
from system.models import SystemConfig

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def control(api, device, action):
    return api.post(f"/api/device/{device.host}/control", {"action": action}, format="json")


def test_on_and_off_are_seen_by_the_device(operator_api, add, fleet):
    device = add("switch")
    response = control(operator_api, device, "on")
    assert response.status_code == 200, response.json()
    assert response.json()["is_on"] is True
    assert fleet.sim.state(fleet["switch"])["relay"] == 1

    assert control(operator_api, device, "off").json()["is_on"] is False
    assert fleet.sim.state(fleet["switch"])["relay"] == 0


def test_toggle_flips_the_devices_real_state(operator_api, add, fleet):
    device = add("switch")
    fleet.sim.relay(fleet["switch"], True)  # switched at the wall: our row is stale
    assert control(operator_api, device, "toggle").json()["is_on"] is False
    assert fleet.sim.state(fleet["switch"])["relay"] == 0


def test_a_strip_outlet_is_switched_alone(operator_api, add, fleet):
    strip = add("hs300")
    fleet.sim.relay(fleet["hs300"], False)
    outlet = strip.outlets.order_by("child_id")[2]
    response = operator_api.post(
        f"/api/devices/{outlet.pk}/control", {"action": "on"}, format="json"
    )
    assert response.status_code == 200 and response.json()["id"] == outlet.pk
    assert [c["relay"] for c in fleet.sim.state(fleet["hs300"])["children"]] == [0, 0, 1, 0, 0, 0]


def test_control_is_audited(operator_api, add, operator_user):
    device = add("switch")
    control(operator_api, device, "off")
    entry = AuditLog.objects.get(action="device.control")
    assert entry.actor == operator_user and entry.details["action"] == "off"


def test_control_is_refused_when_turned_off_in_the_config(operator_api, add, fleet):
    device = add("switch")
    fleet.sim.relay(fleet["switch"], False)
    SystemConfig.objects.update_or_create(pk=1, defaults={"allow_device_control": False})
    response = control(operator_api, device, "on")
    assert response.status_code == 403
    assert response.json()["error_code"] == "DEVICE_CONTROL_DISABLED"
    assert fleet.sim.state(fleet["switch"])["relay"] == 0


def test_viewers_may_not_switch_devices(viewer_api, add):
    device = add("switch")
    assert control(viewer_api, device, "on").status_code == 403


def test_an_unknown_action_is_400(operator_api, add):
    device = add("switch")
    assert control(operator_api, device, "explode").status_code == 400


def test_an_unreachable_device_is_a_504(operator_api, add, fleet):
    device = add("flaky")
    fleet.sim.offline(fleet["flaky"])
    try:
        response = control(operator_api, device, "on")
    finally:
        fleet.sim.online(fleet["flaky"])
    assert response.status_code == 504
    assert response.json()["error_code"] == "DEVICE_UNREACHABLE"
