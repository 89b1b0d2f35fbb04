"""Every export type in every format, parsed back the way a user would open it."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile

import openpyxl
import pytest

from security.services import audit_record
from tests.exports.helpers import (
    RANGE,
    create_and_run,
    file_bytes,
    make_readings,
    pdf_text,
    plug,
    price_hours,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(operator_user):
    lamp, heater = plug(alias="Living Room Lamp"), plug(alias="Heater")
    make_readings(lamp, count=8, power=40.0, delta=0.01)
    make_readings(heater, count=8, power=1500.0, delta=0.375)
    price_hours(lamp)
    price_hours(heater)
    return lamp, heater


def _device_body(fmt, **extra):
    return {"export_type": "device_data", "format": fmt, "date_range": RANGE, **extra}


def test_device_data_csv_has_a_header_and_every_reading(operator_user, data):
    job = create_and_run(operator_user, _device_body("csv"))
    rows = list(csv.DictReader(io.StringIO(file_bytes(job).decode())))
    assert len(rows) == job.record_count == 16
    assert rows[0]["device_name"] == "Heater" or rows[0]["device_name"] == "Living Room Lamp"
    lamp = [r for r in rows if r["device_name"] == "Living Room Lamp"]
    assert float(lamp[0]["power_w"]) == 40.0
    assert float(lamp[0]["energy_kwh"]) == 0.01
    assert lamp[0]["is_on"] == "true"
    assert lamp[0]["timestamp"] == "2024-01-15T10:00:00+00:00"


def test_device_data_json_lists_records_with_a_count(operator_user, data):
    job = create_and_run(
        operator_user, _device_body("json", fields=["timestamp", "device_ip", "power_w", "cost"])
    )
    doc = json.loads(file_bytes(job))
    assert doc["record_count"] == len(doc["records"]) == 16
    assert set(doc["records"][0]) == {"timestamp", "device_ip", "power_w", "cost"}
    assert doc["export"]["export_type"] == "device_data"


def test_device_data_excel_has_typed_cells_under_a_header_row(operator_user, data):
    job = create_and_run(
        operator_user,
        _device_body("excel", fields=["timestamp", "device_name", "power_w", "is_on"]),
    )
    wb = openpyxl.load_workbook(io.BytesIO(file_bytes(job)))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Timestamp", "Device name", "Power (Watts) (W)", "On")
    assert len(rows) - 1 == job.record_count == 16
    stamp, name, power, on = rows[1]
    assert stamp.year == 2024 and stamp.hour == 10  # a real date cell, not text
    assert power == 40.0 or power == 1500.0
    assert isinstance(power, int | float) and on is True


def test_excel_cells_hold_names_as_text_never_as_formulas_or_links(operator_user):
    sly = plug(alias='=HYPERLINK("http://127.51.100.7/x","Fridge")')
    make_readings(sly, count=2)
    job = create_and_run(operator_user, _device_body("excel", fields=["device_name", "power_w"]))

    ws = openpyxl.load_workbook(io.BytesIO(file_bytes(job))).worksheets[0]
    cell = ws["A2"]
    assert (cell.data_type, cell.value) == ("s", sly.alias)
    assert cell.hyperlink is None


def test_csv_cells_hold_names_as_text_never_as_formulas(operator_user):
    sly = plug(alias='=HYPERLINK("http://127.51.100.7/x","Fridge")')
    minus = plug(alias="-2+3+cmd|' /C calc'!A0")
    make_readings(sly, count=2, power=-1.5)
    make_readings(minus, count=2)
    job = create_and_run(operator_user, _device_body("csv", fields=["device_name", "power_w"]))

    rows = list(csv.DictReader(io.StringIO(file_bytes(job).decode())))
    assert {row["device_name"] for row in rows} == {"'" + sly.alias, "'" + minus.alias}
    assert "-1.5" in {row["power_w"] for row in rows}  # numbers stay numbers


def test_device_data_pdf_contains_the_readings(operator_user, data):
    job = create_and_run(
        operator_user, _device_body("pdf", fields=["timestamp", "device_name", "power_w"])
    )
    raw = file_bytes(job)
    assert raw.startswith(b"%PDF")
    text = pdf_text(raw)
    assert "Device data" in text and "Living Room Lamp" in text and "1,500" in text
    assert job.record_count == 16


def test_cost_analysis_excel_has_a_sheet_and_chart_per_breakdown(operator_user, data):
    body = {
        "export_type": "cost_analysis",
        "format": "excel",
        "date_range": RANGE,
        "grouping": "daily",
        "breakdown_by": ["device", "time_of_use", "rate_tier"],
        "include_charts": True,
    }
    job = create_and_run(operator_user, body)
    wb = openpyxl.load_workbook(io.BytesIO(file_bytes(job)))
    assert [ws.title for ws in wb.worksheets] == [
        "Cost by period",
        "Cost by device",
        "Cost by time of use",
        "Cost by rate tier",
    ]
    summary = list(wb.worksheets[0].iter_rows(values_only=True))
    assert summary[1][0] == "2024-01-15"
    assert summary[1][1] == pytest.approx(8 * 0.01 + 8 * 0.375)
    assert summary[1][2] == pytest.approx((8 * 0.01 + 8 * 0.375) * 0.20)
    with zipfile.ZipFile(io.BytesIO(file_bytes(job))) as xlsx:
        assert len([n for n in xlsx.namelist() if n.startswith("xl/charts/chart")]) == 4


def test_cost_analysis_csv_and_json_hold_every_section(operator_user, data):
    body = {
        "export_type": "cost_analysis",
        "date_range": RANGE,
        "grouping": "monthly",
        "breakdown_by": ["device"],
    }
    rows = list(
        csv.DictReader(
            io.StringIO(
                file_bytes(create_and_run(operator_user, {**body, "format": "csv"})).decode()
            )
        )
    )
    assert {r["section"] for r in rows} == {"summary", "by_device"}
    heater = next(r for r in rows if r["section"] == "by_device" and r["device_name"] == "Heater")
    assert float(heater["cost"]) == pytest.approx(8 * 0.375 * 0.2)
    doc = json.loads(file_bytes(create_and_run(operator_user, {**body, "format": "json"})))
    assert doc["sections"]["summary"][0]["period"] == "2024-01"
    assert len(doc["sections"]["by_device"]) == 2


def test_cost_analysis_pdf_names_its_sections(operator_user, data):
    body = {
        "export_type": "cost_analysis",
        "format": "pdf",
        "date_range": RANGE,
        "breakdown_by": ["device"],
    }
    text = pdf_text(file_bytes(create_and_run(operator_user, body)))
    assert "Cost by period" in text and "Cost by device" in text and "Heater" in text


def test_system_report_pdf_has_every_section_with_charts(admin_user, data):
    body = {"export_type": "system_report", "format": "pdf", "date_range": RANGE}
    raw = file_bytes(create_and_run(admin_user, body))
    text = pdf_text(raw)
    for title in (
        "Device summary",
        "Energy consumption",
        "Cost breakdown",
        "System health",
        "Usage patterns",
    ):
        assert title in text
    assert "Energy by device" in text  # a chart's title, drawn by reportlab graphics


def test_system_report_json_sections(admin_user, data):
    body = {
        "export_type": "system_report",
        "format": "json",
        "date_range": RANGE,
        "report_sections": ["device_summary", "system_health"],
    }
    doc = json.loads(file_bytes(create_and_run(admin_user, body)))
    assert list(doc["sections"]) == ["device_summary", "system_health"]
    heater = next(r for r in doc["sections"]["device_summary"] if r["device_name"] == "Heater")
    assert heater["readings"] == 8 and heater["energy_kwh"] == pytest.approx(3.0)


@pytest.mark.parametrize("fmt", ["csv", "json", "excel", "pdf"])
def test_audit_logs_export_in_every_format(admin_user, operator_user, fmt):
    audit_record("login_success", actor=operator_user)
    audit_record("device_controlled", actor=admin_user, severity="warning")
    audit_record("login_failure", actor=operator_user, severity="error", outcome="failure")
    body = {
        "export_type": "audit_logs",
        "format": fmt,
        "date_range": "today",
        "event_types": ["login_success", "login_failure"],
        "users": ["bob"],
    }
    job = create_and_run(admin_user, body)
    raw = file_bytes(job)
    assert job.record_count == 2
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(raw.decode())))
        assert [r["event_type"] for r in rows] == ["login_success", "login_failure"]
    elif fmt == "json":
        assert {r["severity"] for r in json.loads(raw)["records"]} == {"info", "error"}
    elif fmt == "excel":
        rows = list(
            openpyxl.load_workbook(io.BytesIO(raw)).worksheets[0].iter_rows(values_only=True)
        )
        assert rows[1][1] == "login_success" and rows[1][4] == "bob"
    else:
        assert "login_failure" in pdf_text(raw)


def test_audit_logs_of_a_non_admin_hold_only_their_own_events(admin_user, operator_user):
    audit_record("login_success", actor=operator_user)
    audit_record("login_success", actor=admin_user)
    job = create_and_run(
        operator_user,
        {
            "export_type": "audit_logs",
            "format": "json",
            "date_range": "today",
            "event_types": ["login_success"],
        },
    )
    assert [r["user"] for r in json.loads(file_bytes(job))["records"]] == ["bob"]


@pytest.mark.parametrize("method", ["zip", "gzip"])
def test_compressed_exports_hold_the_same_csv(operator_user, data, method):
    job = create_and_run(operator_user, _device_body("csv", compression=method))
    raw = file_bytes(job)
    if method == "zip":
        assert job.file_name.endswith(".csv.zip")
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            text = zf.read(zf.namelist()[0]).decode()
    else:
        assert job.file_name.endswith(".csv.gz")
        text = gzip.decompress(raw).decode()
    assert len(list(csv.DictReader(io.StringIO(text)))) == 16


def test_personal_data_export_type_in_json(operator_user):
    audit_record("login_success", actor=operator_user)
    doc = json.loads(
        file_bytes(
            create_and_run(operator_user, {"export_type": "personal_data", "format": "json"})
        )
    )
    assert doc["sections"]["profile"][0]["username"] == "bob"
    assert doc["sections"]["audit_events"][0]["event_type"] == "login_success"
