"""GET /api/costs and /api/costs/compare with date-times: exactly the hours the range touches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing import services
from tests.billing.factories import devices, utc, write_hours

pytestmark = pytest.mark.django_db

# Berlin is UTC+2 in June: local midnight of 1 June is 2025-05-31T22:00Z.
PLAN = {"rate_type": "simple", "rate_per_kwh": 2, "timezone": "Europe/Berlin"}
KWH = [round(0.01 * (n + 1), 2) for n in range(24 * 4)]  # one distinct figure per hour


@pytest.fixture
def plugs():
    """Two plugs with an hourly rollup every hour from 2025-05-31T00:00Z for four days."""
    services.rate_plan_save(PLAN, now=utc(2025, 1, 1))
    a, b = devices(2)
    write_hours(a, utc(2025, 5, 31), KWH, notify=False)
    write_hours(b, utc(2025, 5, 31), [2 * k for k in KWH], notify=False)
    services.price_pending()
    return a, b


def kwh_between(first_hour: int, hours: int) -> Decimal:
    """Both plugs' kWh of `hours` hours from 2025-05-31T00:00Z + first_hour (b uses twice a's)."""
    return 3 * sum((Decimal(str(k)) for k in KWH[first_hour : first_hour + hours]), Decimal(0))


def costs(client, query: str) -> dict:
    response = client.get(f"/api/costs?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_specs_example_with_date_times_prices_those_hours(viewer_api, plugs):
    body = costs(viewer_api, "start_date=2025-06-01T00:00:00Z&end_date=2025-06-01T06:00:00Z")
    kwh = kwh_between(24, 6)  # 00:00Z-06:00Z on 1 June
    assert Decimal(str(body["total_kwh"])) == kwh
    assert Decimal(str(body["total_cost"])) == kwh * 2
    assert (body["start"], body["end"]) == ("2025-06-01T00:00:00Z", "2025-06-01T06:00:00Z")
    assert (body["start_date"], body["end_date"]) == ("2025-06-01", "2025-06-01")
    assert [d["date"] for d in body["daily_breakdown"]] == ["2025-06-01"]


def test_an_instant_inside_an_hour_takes_in_the_whole_hour(viewer_api, plugs):
    exact = costs(viewer_api, "start_date=2025-06-01T00:00:00Z&end_date=2025-06-01T06:00:00Z")
    inside = costs(viewer_api, "start_date=2025-06-01T00:59:59Z&end_date=2025-06-01T05:00:01Z")
    assert inside == exact


def test_whole_days_and_the_hours_around_them_add_up_per_local_day(viewer_api, plugs):
    # 20:00Z on 1 June is 22:00 in Berlin; 03:00Z on 3 June is 05:00 there.
    body = costs(viewer_api, "start_date=2025-06-01T20:00:00Z&end_date=2025-06-03T03:00:00Z")
    days = {d["date"]: Decimal(str(d["kwh"])) for d in body["daily_breakdown"]}
    assert days == {
        "2025-06-01": kwh_between(44, 2),  # 20:00Z and 21:00Z
        "2025-06-02": kwh_between(46, 24),  # the whole local day: 22:00Z to 22:00Z
        "2025-06-03": kwh_between(70, 5),  # 22:00Z on 2 June to 03:00Z
    }
    assert Decimal(str(body["total_kwh"])) == kwh_between(44, 31)
    by_device = sorted(Decimal(str(d["total_kwh"])) for d in body["devices"])
    assert by_device == [kwh_between(44, 31) / 3, kwh_between(44, 31) * 2 / 3]


def test_naive_date_times_are_on_the_tariffs_clock_and_offsets_are_honoured(viewer_api, plugs):
    utc_body = costs(viewer_api, "start_date=2025-06-01T00:00:00Z&end_date=2025-06-01T06:00:00Z")
    naive = costs(viewer_api, "start_date=2025-06-01T02:00:00&end_date=2025-06-01T08:00")
    offset = costs(
        viewer_api, "start_date=2025-06-01T02:00:00%2B02:00&end_date=2025-06-01T01:00:00-05:00"
    )
    unencoded_plus = costs(  # a "+" not encoded arrives as a space
        viewer_api, "start_date=2025-06-01T02:00:00+02:00&end_date=2025-06-01T08:00+02:00"
    )
    assert naive == offset == unencoded_plus == utc_body


def test_a_date_still_means_the_whole_local_day(viewer_api, plugs):
    body = costs(viewer_api, "start_date=2025-06-01&end_date=2025-06-01")
    assert Decimal(str(body["total_kwh"])) == kwh_between(22, 24)  # 22:00Z to 22:00Z
    assert (body["start"], body["end"]) == ("2025-05-31T22:00:00Z", "2025-06-01T22:00:00Z")
    mixed = costs(viewer_api, "start_date=2025-06-01&end_date=2025-06-01T22:00:00Z")
    assert mixed == body


def test_compare_prices_exactly_the_hours_too(viewer_api, plugs):
    url = "/api/costs/compare?start_date=2025-06-01T00:00:00Z&end_date=2025-06-01T06:00:00Z"
    body = viewer_api.get(url).json()
    assert Decimal(str(body["total_kwh"])) == kwh_between(24, 6)
    assert Decimal(str(body["plans"][0]["total_cost"])) == kwh_between(24, 6) * 2
    posted = viewer_api.post(
        "/api/costs/compare",
        {"plan": {"rate_type": "simple", "rate_per_kwh": 1}, "start_date": "2025-06-01T02:00:00",
         "end_date": "2025-06-01T08:00:00"},
        format="json",
    )  # fmt: skip
    request_plan = next(p for p in posted.json()["plans"] if p["plan_id"] == "request")
    assert Decimal(str(request_plan["total_cost"])) == kwh_between(24, 6)


@pytest.mark.parametrize(
    "query,field",
    [
        ("start_date=2025-06-01T06:00:00Z&end_date=2025-06-01T06:00:00Z", "start_date"),
        ("start_date=2025-06-01T23:00:00Z&end_date=2025-06-01", "start_date"),
        ("start_date=2025-06-01T24:30:00Z", "start_date"),
        ("end_date=2025-06-01Tnoon", "end_date"),
        ("start_date=0001-01-01T00:00:00%2B14:00", "start_date"),
        ("end_date=9999-12-31T23:59:59-14:00", "end_date"),
    ],
)
def test_bad_date_times_are_a_400_naming_the_parameter(viewer_api, plugs, query, field):
    answer = viewer_api.get(f"/api/costs?{query}")
    assert answer.status_code == 400
    body = answer.json()
    assert (body["error_code"], body["field"], body["status_code"]) == (
        "INVALID_DATE_RANGE", field, 400,
    )  # fmt: skip
    assert body["message"] and body["detail"] and body["timestamp"]
