"""django-import-export in the console: previewed imports that write all rows or none,
exports in CSV/XLSX/JSON, and no secret in any export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from tests.admin import world

pytestmark = pytest.mark.django_db

HEADER_DEVICES = "device_id,mac,host,port,alias,model,device_type,has_emeter,enabled\n"
DEVICES_GOOD = HEADER_DEVICES + (
    "50:C7:BF:AA:00:01,50:C7:BF:AA:00:01,127.0.9.1,9999,Lamp,HS110,plug,1,1\n"
    "50:C7:BF:AA:00:02,50:C7:BF:AA:00:02,127.0.9.2,9999,Fan,HS105,plug,0,1\n"
)
DEVICES_BAD = (
    DEVICES_GOOD + "50:C7:BF:AA:00:03,50:C7:BF:AA:00:03,not-an-ip,9999,TV,HS110,plug,1,1\n"
)

PLAN = json.dumps(world.FLAT_PLAN).replace('"', '""')
BAD_PLAN = json.dumps({"rate_type": "flat", "rate_config": {"flat_rate": -1}}).replace('"', '""')
PLANS_GOOD = (
    "id,name,effective_from,plan\n"
    f',Winter,2025-01-01 00:00:00,"{PLAN}"\n'
    f',Spring,2025-04-01 00:00:00,"{PLAN}"\n'
)
PLANS_BAD = PLANS_GOOD + f',Broken,2025-07-01 00:00:00,"{BAD_PLAN}"\n'

IMPORTS = {
    "devices.Device": (DEVICES_GOOD, DEVICES_BAD, "not-an-ip"),
    "billing.RatePlan": (PLANS_GOOD, PLANS_BAD, "flat_rate"),
}


def _missing(label: str, view: str) -> bool:
    model = world.model(label)
    try:
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")
    except NoReverseMatch:
        return True
    return False


def _url(label: str, view: str) -> str:
    model = world.model(label)
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def _format_index(form, title: str) -> str:
    return next(value for value, name in form.fields["format"].choices if name == title)


def _upload(client, label: str, content: str):
    page = client.get(_url(label, "import"))
    assert page.status_code == 200
    form = page.context["form"]
    data = {
        "format": _format_index(form, "csv"),
        "resource": "0",
        "import_file": SimpleUploadedFile("rows.csv", content.encode(), "text/csv"),
    }
    response = client.post(_url(label, "import"), data)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("label", list(IMPORTS))
def test_an_import_with_a_bad_row_is_previewed_and_writes_nothing(console, label):
    model = world.model(label)
    before = model.objects.count()
    _good, bad, reason = IMPORTS[label]
    response = _upload(console, label, bad)
    result = response.context["result"]
    assert result.has_validation_errors() or result.has_errors()
    assert reason in response.content.decode()  # the row's error is on the page
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert model.objects.count() == before


@pytest.mark.parametrize("label", list(IMPORTS))
def test_a_good_import_is_previewed_then_confirmed(console, label):
    model = world.model(label)
    before = model.objects.count()
    preview = _upload(console, label, IMPORTS[label][0])
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), _errors(result)
    assert model.objects.count() == before  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    response = console.post(_url(label, "process_import"), confirm.initial, follow=True)
    assert response.status_code == 200
    assert model.objects.count() == before + 2


def _errors(result) -> list:
    rows = [(e.number, e.error) for e in result.invalid_rows]
    return (
        rows
        + [(n, e.error) for n, errs in result.row_errors() for e in errs]
        + [e.error for e in result.base_errors]
    )


# EXPORTS
# ------------------------------------------------------------------------------
EXPORTS = ["devices.Device", "devices.Reading", "billing.RatePlan", "security.AuditLog",
           "accounts.User"]  # fmt: skip
EXPORT_ONLY = ["devices.Reading", "security.AuditLog", "accounts.User"]
FORMATS = ["csv", "xlsx", "json"]


def _export(client, label: str, title: str) -> bytes:
    page = client.get(_url(label, "export"))
    assert page.status_code == 200
    form = page.context["form"]
    data = {"format": _format_index(form, title), "resource": "0"}
    data.update({name: "on" for name in form.fields if name not in ("format", "resource")})
    data.pop("export_items", None)
    response = client.post(_url(label, "export"), data)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"], response.content[:300]
    return response.content


@pytest.mark.parametrize("title", FORMATS)
@pytest.mark.parametrize("label", list(EXPORTS))
def test_exports_come_in_csv_xlsx_and_json(console, label, title):
    world.build(world.model(label), 2)
    assert _export(console, label, title)


@pytest.mark.parametrize("label", list(EXPORT_ONLY))
def test_history_and_users_are_export_only(console, label):
    assert not _missing(label, "export")
    assert _missing(label, "import"), f"{label} must not be importable"


def test_the_users_export_holds_no_secret(console, admin_user):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    totp = world.build(TOTPDevice)[0]
    static = world.build(StaticDevice)[0]
    secrets = [admin_user.password, totp.user.password, totp.key, static.token_set.get().token]
    content = _export(console, "accounts.User", "json").decode()
    assert totp.user.username in content
    for secret in secrets:
        assert secret not in content
    assert "password" not in json.loads(content)[0]


SLY_ALIAS = '=HYPERLINK("http://127.51.100.7/x","Lamp")'


def test_exported_text_never_opens_as_a_formula_and_imports_back_unchanged(console):
    import csv
    import io

    import openpyxl

    from devices.models import Device

    (device,) = world.build(Device, 1)
    Device.objects.filter(pk=device.pk).update(alias=SLY_ALIAS)  # a plug may name itself so

    rows = list(csv.DictReader(io.StringIO(_export(console, "devices.Device", "csv").decode())))
    assert rows[0]["alias"] == "'" + SLY_ALIAS  # shown as text by Excel and LibreOffice
    sheet = openpyxl.load_workbook(io.BytesIO(_export(console, "devices.Device", "xlsx"))).active
    (alias,) = [c for c in sheet[2] if c.value and "HYPERLINK" in str(c.value)]
    assert alias.data_type == "s" and alias.value == "'" + SLY_ALIAS

    # The exported file, imported again, changes nothing.
    rows[0]["notes"] = "checked"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    preview = _upload(console, "devices.Device", out.getvalue())
    assert not preview.context["result"].has_errors(), _errors(preview.context["result"])
    console.post(_url("devices.Device", "process_import"), preview.context["confirm_form"].initial)
    device.refresh_from_db()
    assert (device.alias, device.notes) == (SLY_ALIAS, "checked")


def test_a_user_agent_in_the_audit_export_is_text_not_a_formula(console):
    import csv
    import io

    from rest_framework.test import APIClient

    sly = "@SUM(1+9)*cmd|' /C calc'!A0"
    APIClient().post("/api/auth/login", {"username": "mallory", "password": "guess"},
                     format="json", HTTP_USER_AGENT=sly)  # fmt: skip

    rows = list(csv.DictReader(io.StringIO(_export(console, "security.AuditLog", "csv").decode())))
    assert "'" + sly in {row["user_agent"] for row in rows}
