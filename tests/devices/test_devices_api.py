"""The device list, details, lookups by id/IP/MAC, history, stats, edits and removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Device
from tests.factories import DeviceFactory

from .factories import daily, hourly

pytestmark = pytest.mark.django_db

LIST_FIELDS = {
    "device_ip", "alias", "model", "device_type", "is_on", "current_power_w",
    "today_energy_kwh", "month_energy_kwh", "voltage", "current", "signal_strength",
    "last_seen", "id", "name", "status", "offline_reason", "mac", "parent",
}  # fmt: skip


def test_the_list_has_the_specs_fields(viewer_api):
    DeviceFactory(alias="Lamp", current_power_w=45.2, rssi=-45)
    response = viewer_api.get("/api/devices")
    assert response.status_code == 200
    (row,) = response.json()
    assert set(row) >= LIST_FIELDS
    assert (row["alias"], row["current_power_w"], row["signal_strength"]) == ("Lamp", 45.2, -45)


def test_the_list_filters_by_status(viewer_api):
    DeviceFactory(status="online")
    DeviceFactory(status="offline", offline_reason="auth_failed")
    rows = viewer_api.get("/api/devices/?status=offline").json()
    assert [(r["status"], r["offline_reason"]) for r in rows] == [("offline", "auth_failed")]
    assert viewer_api.get("/api/devices?status=sleepy").status_code == 400


def test_the_list_needs_a_login(api_client):
    assert api_client.get("/api/devices").status_code == 401


def test_status_summary_counts_devices(viewer_api):
    DeviceFactory.create_batch(2, status="online")
    DeviceFactory(status="offline")
    DeviceFactory(status="unknown")
    DeviceFactory(status="auth_failed")
    body = viewer_api.get("/api/devices/status").json()
    assert body == {"total": 5, "online": 2, "offline": 1, "unknown": 1, "auth_failed": 1}


@pytest.mark.parametrize("key", ["id", "host", "mac", "mac_lower"])
def test_a_device_is_found_by_id_ip_or_mac(viewer_api, key):
    device = DeviceFactory()
    value = {
        "id": device.pk, "host": device.host, "mac": device.mac, "mac_lower": device.mac.lower(),
    }[key]  # fmt: skip
    for prefix in ("/api/devices/", "/api/device/"):
        response = viewer_api.get(f"{prefix}{value}")
        assert response.status_code == 200, response.json()
        assert response.json()["id"] == device.pk


def test_an_unknown_device_is_a_json_404(viewer_api):
    response = viewer_api.get("/api/device/127.9.9.9")
    assert response.status_code == 404
    assert response.json()["error_code"] == "DEVICE_NOT_FOUND"


def test_a_strips_ip_finds_the_strip_and_its_details_list_outlets(viewer_api):
    strip = DeviceFactory(device_type="strip", model="HS300")
    DeviceFactory(parent=strip, host=strip.host, device_type="outlet", child_id="x00")
    body = viewer_api.get(f"/api/device/{strip.host}").json()
    assert body["id"] == strip.pk and len(body["outlets"]) == 1


def test_hourly_history_comes_from_rollups_with_cost_once_priced(viewer_api):
    device = DeviceFactory()
    start = datetime(2026, 1, 15, 0, tzinfo=UTC)
    hourly(device, start, 3, kwh=0.045, power=45.2)
    hourly(device, start + timedelta(hours=3), 1, kwh=0.05, cost="0.005")
    url = f"/api/device/{device.host}/history?start_time=2026-01-15&end_time=2026-01-15&interval=1h"
    points = viewer_api.get(url).json()
    assert len(points) == 4
    assert points[0] == {
        "timestamp": "2026-01-15T00:00:00Z", "power_w": 45.2, "energy_kwh": 0.045, "cost": None,
        "co2_kg": None,
    }  # fmt: skip
    assert points[3]["cost"] == 0.005


def test_six_hour_history_sums_hours(viewer_api):
    device = DeviceFactory()
    hourly(device, datetime(2026, 1, 15, 0, tzinfo=UTC), 12, kwh=0.1)
    url = f"/api/devices/{device.pk}/history?start_time=2026-01-15T00:00:00Z&end_time=2026-01-16T00:00:00Z&interval=6h"
    points = viewer_api.get(url).json()
    assert [p["energy_kwh"] for p in points] == [pytest.approx(0.6), pytest.approx(0.6)]


def test_daily_history_for_a_year_reads_daily_rollups(viewer_api):
    device = DeviceFactory()
    daily(device, datetime(2025, 1, 1).date(), 365)
    url = f"/api/devices/{device.pk}/history?start_time=2025-01-01&end_time=2025-12-31&interval=1d"
    with CaptureQueriesContext(connection) as queries:
        points = viewer_api.get(url).json()
    assert len(points) == 365 and points[0]["energy_kwh"] == 2.4
    # the device, then its daily rollups (billing's cost reads aside: daily sums, pending hours)
    ours = [q["sql"] for q in queries if '"devices_' in q["sql"] and '"billing_' not in q["sql"]]
    assert len(ours) == 2 and "dailyrollup" in ours[1] and "reading" not in ours[1]


def test_a_strips_history_adds_up_its_outlets(viewer_api):
    strip = DeviceFactory(device_type="strip")
    for n in range(2):
        outlet = DeviceFactory(
            parent=strip, host=strip.host, device_type="outlet", child_id=f"0{n}"
        )
        hourly(outlet, datetime(2026, 1, 15, 0, tzinfo=UTC), 1, kwh=0.1, power=100)
    url = f"/api/devices/{strip.pk}/history?start_time=2026-01-15&end_time=2026-01-15"
    (point,) = viewer_api.get(url).json()
    assert (point["energy_kwh"], point["power_w"]) == (0.2, 200.0)


@pytest.mark.parametrize(
    "query",
    ["interval=2h", "start_time=yesterday", "start_time=2026-02-01&end_time=2026-01-01",
     "interval=raw&start_time=2025-01-01&end_time=2025-12-31"],
)  # fmt: skip
def test_bad_history_queries_are_400(viewer_api, query):
    device = DeviceFactory()
    response = viewer_api.get(f"/api/devices/{device.pk}/history?{query}")
    assert response.status_code == 400, response.content


def test_stats_have_the_specs_fields(viewer_api):
    device = DeviceFactory()
    today = timezone.localdate()
    daily(device, today - timedelta(days=6), 7, kwh=1.0, power=50.0, cost=0.1)
    body = viewer_api.get(f"/api/device/{device.host}/stats").json()
    assert body["daily_usage_kwh"] == 1.0 and body["weekly_usage_kwh"] == 7.0
    assert body["monthly_usage_kwh"] == float(min(7, today.day))
    assert body["daily_cost"] == 0.1 and body["average_power_w"] == 50.0
    assert body["peak_power_w"] == 75.0 and body["total_on_time_hours"] == 24.0


def test_only_admins_delete_and_deleting_removes_history(admin_api, operator_api):
    device = DeviceFactory()
    hourly(device, datetime(2026, 1, 1, tzinfo=UTC), 2)
    assert operator_api.delete(f"/api/devices/{device.pk}").status_code == 403
    assert admin_api.delete(f"/api/devices/{device.host}").status_code == 204
    assert not Device.objects.exists()


def test_an_outlet_cannot_be_deleted_alone(admin_api):
    strip = DeviceFactory(device_type="strip")
    outlet = DeviceFactory(parent=strip, device_type="outlet")
    assert admin_api.delete(f"/api/devices/{outlet.pk}").status_code == 409


def test_operators_edit_enabled_and_notes(operator_api, viewer_api):
    device = DeviceFactory()
    response = operator_api.put(
        f"/api/devices/{device.pk}", {"enabled": False, "notes": "away"}, format="json"
    )
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert (
        viewer_api.put(f"/api/devices/{device.pk}", {"notes": "x"}, format="json").status_code
        == 403
    )


def test_every_device_endpoint_is_in_the_openapi_schema(admin_api):
    paths = admin_api.get("/api/schema/?format=json").json()["paths"]
    for path in [
        "/api/devices", "/api/devices/manual", "/api/devices/status", "/api/devices/{key}",
        "/api/devices/{key}/poll", "/api/device/{key}/history", "/api/device/{key}/stats",
        "/api/device/{key}/control", "/api/discover", "/api/system/config",
        "/api/settings/network",
    ]:  # fmt: skip
        assert path in paths, path


def test_the_list_rows_match_each_devices_own_row(admin_api):
    """The list is read without model instances; its rows must equal device_row()."""
    from devices.models import Device
    from devices.serializers import device_row
    from tests.factories import DeviceFactory

    strip = DeviceFactory(device_type="strip", alias="", model="HS300", is_on=True, rssi=-50)
    DeviceFactory(parent=strip, device_type="outlet", offline_reason="unreachable")
    listed = {row["id"]: row for row in admin_api.get("/api/devices").json()}
    for device in Device.objects.all():
        assert listed[device.pk] == device_row(device)


def test_the_cached_list_shows_every_change_at_once(admin_api, add, fleet):
    fleet.sim.emeter(fleet["hs110"], power=20.0, total=1.0)
    kettle = add("hs110")
    strip = add("hs300")
    from devices import services

    services.device_poll_all()
    first = {r["id"]: r for r in admin_api.get("/api/devices").json()}
    assert first[kettle.pk]["current_power_w"] == 20.0

    fleet.sim.emeter(fleet["hs110"], power=75.0, total=1.1)
    services.device_poll_all()  # the poller's own UPDATE
    assert _row(admin_api, kettle.pk)["current_power_w"] == 75.0

    admin_api.patch(f"/api/devices/{kettle.pk}", {"notes": "x", "enabled": False}, format="json")
    assert _row(admin_api, kettle.pk)["enabled"] is False

    outlet = Device.objects.filter(parent=strip).order_by("child_id").first()
    fleet.sim.relay(fleet["hs300"], on=False, child=outlet.child_id)
    services.device_poll_all()
    assert _row(admin_api, outlet.pk)["is_on"] is False
    response = admin_api.post(f"/api/devices/{outlet.pk}/control", {"action": "on"}, format="json")
    assert response.status_code == 200  # stored by services' bulk update of the strip
    assert _row(admin_api, outlet.pk)["is_on"] is True

    assert admin_api.delete(f"/api/devices/{kettle.pk}").status_code == 204
    assert kettle.pk not in {r["id"] for r in admin_api.get("/api/devices").json()}


def _row(api, pk: int) -> dict:
    return next(r for r in api.get("/api/devices").json() if r["id"] == pk)
