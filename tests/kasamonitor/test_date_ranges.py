"""Every range parameter of the API takes a date or an ISO 8601 date-time (kasamonitor/ranges.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from security.services import audit_record
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

ACCEPTED = [
    "2025-06-01",
    "2025-06-01T00:00:00Z",
    "2025-06-01T02:00:00",  # naive: the household's clock
    "2025-06-01T02:00:00%2B02:00",
    "2025-06-01T02:00:00+02:00",  # "+" not encoded: arrives as a space
    "2025-06-01T00:00:00.250-00:00",
]
END = "2025-06-02T12:00:00Z"


def endpoints() -> dict[str, tuple[str, str, str]]:
    """name: (URL with {start} and {end}, start parameter, end parameter)."""
    return {
        "costs": ("/api/costs?start_date={start}&end_date={end}", "start_date", "end_date"),
        "compare": ("/api/costs/compare?start_date={start}&end_date={end}", "start_date", "end_date"),
        "history": ("/api/device/{ip}/history?start_time={start}&end_time={end}", "start_time", "end_time"),
        "history by id": ("/api/devices/{id}/history?start_time={start}&end_time={end}&interval=raw",
                          "start_time", "end_time"),
        "audit log": ("/api/audit-logs?start={start}&end={end}", "start", "end"),
        "audit log aliases": ("/api/audit-logs?start_date={start}&end_date={end}", "start", "end"),
        "export preview": ("/api/exports/preview?start={start}&end={end}", "date_range.start",
                           "date_range.end"),
    }  # fmt: skip


@pytest.fixture
def url(admin_api):
    device = DeviceFactory(host="127.0.0.9")

    def build(name: str, start: str, end: str) -> str:
        template = endpoints()[name][0]
        return template.format(ip=device.host, id=device.pk, start=start, end=end)

    return build


@pytest.mark.parametrize("name", list(endpoints()))
@pytest.mark.parametrize("start", ACCEPTED)
def test_every_range_parameter_takes_dates_and_date_times(admin_api, url, name, start):
    response = admin_api.get(url(name, start, END))
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("name", list(endpoints()))
@pytest.mark.parametrize("bad", ["yesterday", "2025-02-30", "2025-06-01T25:00", "0001-01-01"])
def test_a_value_that_is_no_date_is_a_400_naming_the_parameter(admin_api, url, name, bad):
    _, start_field, end_field = endpoints()[name]
    for start, end, field in ((bad, END, start_field), ("2025-06-01", bad, end_field)):
        response = admin_api.get(url(name, start, end))
        assert response.status_code == 400, response.content
        body = response.json()
        assert (body["error_code"], body["field"]) == ("INVALID_DATE_RANGE", field)
        assert bad in body["message"] or "between the years" in body["message"]


@pytest.mark.parametrize("name", list(endpoints()))
def test_a_start_after_the_end_is_a_400(admin_api, url, name):
    response = admin_api.get(url(name, "2025-06-02T12:00:00Z", "2025-06-02T11:00:00Z"))
    assert response.status_code == 400, response.content
    assert response.json()["error_code"] == "INVALID_DATE_RANGE"


@pytest.mark.parametrize("name", list(endpoints()))
def test_an_empty_parameter_counts_as_not_given(admin_api, url, name):
    response = admin_api.get(url(name, "", ""))
    assert response.status_code == 200, response.json()


def test_an_export_takes_date_times_in_its_body(operator_api):
    body = {
        "format": "csv",
        "date_range": {"start": "2025-06-01T00:00:00Z", "end": "2025-06-01T12:00"},
    }
    created = operator_api.post("/api/exports/create", body, format="json")
    assert created.status_code == 202, created.json()
    job = operator_api.get(f"/api/exports/{created.json()['export_id']}").json()
    assert job["date_range"]["start"].startswith("2025-06-01T00:00:00")
    body["date_range"]["end"] = "noon"
    refused = operator_api.post("/api/exports/create", body, format="json").json()
    assert (refused["error_code"], refused["field"]) == ("INVALID_DATE_RANGE", "date_range.end")


def test_naive_audit_log_bounds_are_on_the_households_clock(admin_api, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    for hour in (21, 23):  # 22:00 and 00:00 in Berlin (UTC+1)
        with time_machine.travel(datetime(2025, 3, 2, hour, tzinfo=UTC), tick=False):
            audit_record(f"test.at_{hour}", target_type="test", target_id=str(hour))

    def actions(query: str) -> list[str]:
        return [e["action"] for e in admin_api.get(f"/api/audit-logs?{query}").json()["logs"]]

    assert actions("start=2025-03-03&end=2025-03-03") == ["test.at_23"]
    assert actions("start=2025-03-02T23:30:00&end=2025-03-04") == ["test.at_23"]  # 22:30Z
    assert actions("start=2025-03-02&end=2025-03-02") == ["test.at_21"]
    assert actions("start=2025-03-02T23:00:00Z&end=2025-03-04") == ["test.at_23"]
    assert actions("start=2025-03-02&end=2025-03-02T23:00:00Z") == ["test.at_21"]  # end excluded


def test_naive_history_bounds_are_on_the_households_clock(viewer_api, settings):
    from tests.devices.factories import hourly

    settings.TIME_ZONE = "Europe/Berlin"
    device = DeviceFactory()
    hourly(device, datetime(2025, 6, 1, 0, tzinfo=UTC), 4)  # 02:00 to 05:00 in Berlin

    def stamps(query: str) -> list[str]:
        response = viewer_api.get(f"/api/devices/{device.pk}/history?interval=1h&{query}")
        return [p["timestamp"] for p in response.json()]

    naive = stamps("start_time=2025-06-01T03:00:00&end_time=2025-06-01T05:00:00")
    assert naive == ["2025-06-01T01:00:00Z", "2025-06-01T02:00:00Z"]
    assert stamps("start_time=2025-06-01T01:00:00Z&end_time=2025-06-01T03:00:00Z") == naive
