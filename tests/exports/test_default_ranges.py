"""Ranges an export or preview takes when none is given include the readings just taken."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from devices import services as device_services
from exports import services
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(scope="module")
def plug_host():
    (host,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", host, alias="Kettle")]) as sim:
        sim.emeter(host, power=1500.0, voltage=230.0, current=6.5, total=3.0)
        yield host


@pytest.fixture
def polled(operator_api, plug_host, settings):
    """The simulated plug, added through the API and polled three times, as the worker does."""
    settings.KASA_DEVICE_TIMEOUT, settings.KASA_POLL_DEADLINE = 2.0, 3.0
    added = operator_api.post("/api/devices", {"ip": plug_host}, format="json")
    assert added.status_code == 201, added.json()
    for _ in range(3):
        assert device_services.device_poll_all().readings == 1
    return plug_host


def test_a_preview_without_dates_shows_the_readings_just_taken(operator_api, polled):
    query = {"export_type": "device_data", "devices": polled, "limit": "5"}  # the spec's example
    body = operator_api.get("/api/exports/preview", query).json()
    assert body["total_records"] == 3, body
    assert len(body["preview"]) == 3 and body["preview"][0]["power_w"] == 1500.0
    used = body["date_range"]
    assert used["preset"] == "last_30_days"
    start, end = datetime.fromisoformat(used["start"]), datetime.fromisoformat(used["end"])
    now = timezone.now()
    assert start < now < end and (end - start).days in (29, 30)  # 30 local days, today included


@pytest.mark.parametrize("preset", ["last_7_days", "last_30_days", "last_24_hours", "today"])
def test_every_last_n_preset_includes_the_readings_just_taken(operator_api, polled, preset):
    query = {"export_type": "device_data", "devices": polled, "date_range": preset}
    body = operator_api.get("/api/exports/preview", query).json()
    assert body["total_records"] == 3, body
    assert body["date_range"]["preset"] == preset


def test_an_export_without_dates_holds_the_readings_just_taken(operator_api, polled):
    created = operator_api.post(
        "/api/exports/create", {"export_type": "device_data", "devices": [polled]}, format="json"
    ).json()
    assert created["estimated_records"] == 3 and created["date_range"]["preset"] == "last_30_days"
    services.export_run(created["export_id"])
    status = operator_api.get(f"/api/exports/{created['export_id']}").json()
    assert status["record_count"] == 3 and status["date_range"] == created["date_range"]


def test_the_device_history_without_dates_shows_the_readings_just_taken(operator_api, polled):
    # The history's default spans end now: the last raw readings and this hour's rollup count.
    raw = operator_api.get(f"/api/device/{polled}/history", {"interval": "raw"})
    assert raw.status_code == 200, raw.json()
    assert [p["power_w"] for p in raw.json()] == [1500.0] * 3
    hourly = operator_api.get(f"/api/device/{polled}/history").json()
    assert hourly and hourly[-1]["power_w"] == 1500.0


def test_the_last_n_days_presets_are_n_local_days_ending_with_today():
    from zoneinfo import ZoneInfo

    from exports.periods import resolve_range

    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2024, 3, 15, 23, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 16th in Berlin
    assert resolve_range("last_7_days", berlin, now) == (
        datetime(2024, 3, 10, tzinfo=berlin),
        datetime(2024, 3, 17, tzinfo=berlin),
    )
    assert (
        resolve_range(None, berlin, now)
        == resolve_range("last_30_days", berlin, now)
        == (
            datetime(2024, 2, 16, tzinfo=berlin),
            datetime(2024, 3, 17, tzinfo=berlin),
        )
    )
