"""The insights export: standby, this bill and what changed in every format, with the figures
the insights API shows for the same data (tests/insights/household.py works them out)."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import Group, Permission

from kasamonitor.celery import app as celery_app
from tests.exports.helpers import create_and_run, file_bytes, pdf_text
from tests.insights.household import MONDAY_16_JUNE, api_body, build_week
from tests.support import assert_error

pytestmark = pytest.mark.django_db
WEEK = {"start": "2025-06-09", "end": "2025-06-15"}
BODY = {"export_type": "insights", "date_range": WEEK, "options": {"timezone": "UTC"}}


@pytest.fixture(autouse=True)
def _price_in_process(settings):
    settings.TIME_ZONE = "UTC"
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def week(admin_user):
    return build_week(admin_user)


def run(user, fmt: str) -> bytes:
    with time_machine.travel(MONDAY_16_JUNE, tick=False):
        return file_bytes(create_and_run(user, {**BODY, "format": fmt}))


def test_json_holds_each_insight_as_the_api_shows_it(operator_user, week):
    doc = json.loads(run(operator_user, "json"))
    sections = doc["sections"]
    assert list(sections) == ["standby", "bill_projection", "projection_checks", "changes",
                              "movers", "appliance_runs"]  # fmt: skip
    assert sections["appliance_runs"] == []  # no appliance is watched
    assert doc["export"]["currency"] == "USD"
    standby = api_body(operator_user, "/api/insights/standby")
    # 83.33 W all year: 730 kWh at 0.10 = 73.00 USD, and at the default grid intensity
    # (475 g/kWh) 346.75 kg of CO2 (346.8); the plug is the household's only one.
    assert sections["standby"] == [
        {"device_name": "Kettle", "device_ip": week.host, "standby_w": 83.3, "night_hours": 35,
         "yearly_kwh": 730.0, "yearly_cost": 73.0, "yearly_co2_kg": 346.8},
        {"device_name": "Household", "device_ip": None, "standby_w": 83.3, "night_hours": None,
         "yearly_kwh": 730.0, "yearly_cost": 73.0, "yearly_co2_kg": 346.8},
    ]  # fmt: skip
    assert standby["household"] == {"standby_w": 83.3, "yearly_kwh": 730.0, "yearly_cost": 73.0,
                                    "yearly_co2_kg": 346.8}  # fmt: skip
    bill = api_body(operator_user, "/api/insights/bill-projection")
    figures = {r["figure"]: (r["kwh"], r["cost"]) for r in sections["bill_projection"]}
    co2 = {r["figure"]: r["co2_kg"] for r in sections["bill_projection"]}
    # 54 kWh so far and 168 projected, at 475 g/kWh
    assert (co2["So far"], co2["Projected total"]) == (
        bill["so_far"]["co2_kg"], bill["projected"]["co2_kg"]) == (25.65, 79.8)  # fmt: skip
    assert figures == {
        "So far": (54.0, 5.4), "Projected energy": (168.0, 16.8), "Fixed charges": (None, 0.0),
        "Projected total": (168.0, 16.8), "Likely low": (129.111, 12.91),
        "Likely high": (210.444, 21.04),
    }  # fmt: skip
    assert figures["Projected total"] == (bill["projected"]["kwh"], bill["projected"]["total_cost"])
    assert figures["Likely high"][1] == bill["projected"]["high"]["total_cost"]
    assert {r["first_day"] for r in sections["bill_projection"]} == {"2025-06-01"}
    assert sections["projection_checks"] == []  # May had no readings: no check


def test_what_changed_covers_the_export_range_as_the_api_does(operator_user, week):
    sections = json.loads(run(operator_user, "json"))["sections"]
    api = api_body(operator_user, "/api/insights/changes?start=2025-06-09&end=2025-06-15")
    rows = {(r["compared_with"], r["device_name"]): r for r in sections["changes"]}
    home = rows[("Previous period", "Household")]
    # 9-15 June: 54 kWh, 5.40 USD; the week before (2-8 June) had nothing: new.
    assert (home["kwh"], home["cost"], home["earlier_kwh"], home["new"]) == (54.0, 5.4, 0.0, True)
    assert (home["earlier_first_day"], home["earlier_last_day"]) == ("2025-06-02", "2025-06-08")
    for key, said in (("previous", "Previous period"), ("year_ago", "A year ago")):
        for device in api[key]["devices"]:
            row = rows[(said, device["device_name"])]
            assert {k: row[k] for k in ("kwh", "earlier_kwh", "cost", "earlier_cost",
                                        "cost_change", "cost_change_percent", "co2_kg",
                                        "earlier_co2_kg", "co2_change_kg", "new")} == {
                k: device[k] for k in ("kwh", "earlier_kwh", "cost", "earlier_cost",
                                       "cost_change", "cost_change_percent", "co2_kg",
                                       "earlier_co2_kg", "co2_change_kg", "new")}  # fmt: skip
    assert home["co2_kg"] == 25.65  # 54 kWh at 475 g/kWh
    assert [m["label"] for m in sections["movers"]] == ["Kettle new", "Kettle new"]
    assert rows[("A year ago", "Household")]["earlier_first_day"] == "2024-06-09"


def test_csv_has_a_section_column_and_every_section(operator_user, week):
    rows = list(csv.DictReader(io.StringIO(run(operator_user, "csv").decode())))
    assert {r["section"] for r in rows} == {"standby", "bill_projection", "changes", "movers"}
    kettle = next(r for r in rows if r["section"] == "standby" and r["device_name"] == "Kettle")
    assert float(kettle["yearly_cost"]) == 73.0 and float(kettle["standby_w"]) == 83.3
    so_far = next(r for r in rows if r["section"] == "bill_projection" and r["figure"] == "So far")
    assert (float(so_far["kwh"]), float(so_far["cost"])) == (54.0, 5.4)


def test_excel_has_a_sheet_per_table_with_typed_figures(operator_user, week):
    wb = openpyxl.load_workbook(io.BytesIO(run(operator_user, "excel")))
    assert [ws.title for ws in wb.worksheets] == [
        "Always on (standby)", "This bill (projection)", "Projection checks",
        "What changed", "Biggest movers", "Appliance runs",
    ]  # fmt: skip
    standby = list(wb["Always on (standby)"].iter_rows(values_only=True))
    assert standby[0][:3] == ("Device", "Device IP", "Always on (W)")
    assert standby[1][0] == "Kettle" and standby[1][5] == 73.0
    bill = {row[2]: row[3:5] for row in wb["This bill (projection)"].iter_rows(values_only=True)}
    assert bill["Projected total"] == (168.0, 16.8) and bill["Likely low"] == (129.111, 12.91)


def test_pdf_names_every_section_and_its_figures(operator_user, week):
    # reportlab writes "(" and ")" in its text as "\\(" and "\\)".
    text = pdf_text(run(operator_user, "pdf")).replace("\\(", "(").replace("\\)", ")")
    for title in ("Insights", "Always on (standby)", "This bill (projection)", "What changed",
                  "Biggest movers", "Kettle new", "Likely high"):  # fmt: skip
        assert title in text
    assert "210.444" in text and "21.04" in text and "73" in text


def test_it_needs_data_export_and_the_permission_to_view_costs(
    operator_api, viewer_api, operator_user
):
    body = {**BODY, "format": "csv"}
    assert_error(viewer_api.post("/api/exports/create", body, format="json"), 403,
                 "PERMISSION_DENIED")  # fmt: skip
    assert operator_api.post("/api/exports/create", body, format="json").status_code == 202
    Group.objects.get(name="operator").permissions.remove(
        Permission.objects.get(codename="costs.view")
    )
    from tests.billing.factories import forced_client

    operator = forced_client(type(operator_user).objects.get(pk=operator_user.pk))
    refused = assert_error(operator.post("/api/exports/create", body, format="json"), 403,
                           "INSUFFICIENT_PERMISSIONS")  # fmt: skip
    assert refused["required_permission"] == "costs.view"
    preview = operator.get("/api/exports/preview?export_type=insights")
    assert (
        assert_error(preview, 403, "INSUFFICIENT_PERMISSIONS")["required_permission"]
        == "costs.view"
    )
    # The cost analysis shows money too; the readings do not.
    cost = operator.post("/api/exports/create", {**body, "export_type": "cost_analysis"},
                         format="json")  # fmt: skip
    assert (
        assert_error(cost, 403, "INSUFFICIENT_PERMISSIONS")["required_permission"] == "costs.view"
    )
    assert operator.post("/api/exports/create", {**body, "export_type": "device_data"},
                         format="json").status_code == 202  # fmt: skip


def test_the_schema_and_the_exports_page_offer_the_type(operator_api, operator_user):
    from tests.web.support import logged_in_client

    schema = operator_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    create = schema["components"]["schemas"]
    assert any("insights" in (s.get("enum") or []) for s in create.values())
    page = logged_in_client(operator_user).get("/exports").content.decode()
    assert '<option value="insights">' in page


def test_the_appliance_runs_of_the_range_are_a_section(operator_user, week):
    from insights import services as insight_services
    from tests.factories import DeviceFactory
    from tests.insights.support import minutes, utc, watch

    dishwasher = DeviceFactory(alias="Dishwasher")
    watch(dishwasher, kind="dishwasher", threshold_w=10, min_run_minutes=30, max_gap_minutes=20)
    # In the export's week (9-15 June) one run of 1.2 kWh (0.12 USD at 0.10, 0.57 kg CO2 at
    # 475 g/kWh); the run of 8 June is before it.
    minutes(dishwasher, utc(2025, 6, 8, 19), [1200] * 61 + [0] * 30)
    minutes(dishwasher, utc(2025, 6, 12, 19), [1200] * 61 + [0] * 30)
    with time_machine.travel(MONDAY_16_JUNE, tick=False):
        insight_services.appliance_runs_detect()
    rows = list(csv.DictReader(io.StringIO(run(operator_user, "csv").decode())))
    (row,) = [r for r in rows if r["section"] == "appliance_runs"]
    assert (row["device_name"], row["start"], row["end"]) == (
        "Dishwasher", "2025-06-12T19:00:00Z", "2025-06-12T20:01:00Z")  # fmt: skip
    figures = (float(row["duration_minutes"]), float(row["kwh"]), float(row["cost"]),
               float(row["co2_kg"]))  # fmt: skip
    assert figures == (61.0, 1.2, 0.12, 0.57)
