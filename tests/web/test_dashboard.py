"""The dashboard: a strip as one card with its outlets, and the first-run checklist."""

from __future__ import annotations

import pytest

from backups.models import BackupSchedule
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def _strip():
    strip = DeviceFactory(alias="Desk strip", model="HS300", device_type="strip",
                          current_power_w=30.0)  # fmt: skip
    for n in range(2):
        DeviceFactory(alias=f"Outlet {n}", device_type="outlet", parent=strip, host=strip.host,
                      child_id=f"{strip.device_id}0{n}", current_power_w=15.0, is_on=True)  # fmt: skip
    return strip


def test_a_strip_is_one_card_holding_its_outlets(operator_client):
    strip = _strip()
    DeviceFactory(alias="Kettle", current_power_w=100.0, is_on=True)
    html = operator_client.get("/").content.decode()
    strip_card = html[html.index(f'data-device-id="{strip.pk}"') :]
    assert '<details class="outlets" open>' in strip_card.split("</details>")[0]
    assert strip_card.count("outlet-card") >= 2
    assert 'Turn off<span class="sr-only"> Outlet 0</span>' in html
    assert '<span id="total-power">130.0</span>' in html  # plug + outlets, the strip once
    assert "/ 4</p>" in html  # devices online: the strip and its outlets count


def test_the_checklist_shows_what_is_left_with_links(admin_client):
    html = admin_client.get("/").content.decode()
    assert "Getting started" in html
    for step in ("devices", "rates", "backups"):
        assert f'data-step="{step}"' in html
    assert 'href="/rates"' in html and 'href="/backups#schedules-heading"' in html


def test_the_checklist_marks_done_steps_and_goes_when_all_are_done(admin_client, admin_api):
    DeviceFactory()
    html = admin_client.get("/").content.decode()
    assert '<li class="done" data-step="devices">' in html
    plan = {"rate_type": "simple", "rate_structure": {"rate_per_kwh": 0.2}}
    assert admin_api.post("/api/rates", plan, format="json").status_code == 201
    BackupSchedule.objects.create(name="Nightly", cron="0 2 * * *")
    assert "Getting started" not in admin_client.get("/").content.decode()


def test_viewers_get_no_checklist(viewer_client):
    assert "Getting started" not in viewer_client.get("/").content.decode()


def test_operators_are_not_asked_for_backups(operator_client):
    html = operator_client.get("/").content.decode()
    assert 'data-step="rates"' in html and 'data-step="backups"' not in html


def test_the_device_page_says_why_there_is_no_cost(viewer_client):
    device = DeviceFactory(alias="Fridge")
    html = viewer_client.get(f"/devices/{device.pk}").content.decode()
    assert "Cost no cost yet" not in html
    assert "No cost yet: priced once readings come in" in html


def test_every_page_has_a_favicon_and_a_consistent_title(admin_client, client):
    assert client.get("/favicon.ico").status_code == 301
    for path, heading in [("/", "Dashboard"), ("/costs", "Costs"), ("/users", "Users"),
                          ("/rates", "Electricity rates"), ("/account", "Your account")]:  # fmt: skip
        html = admin_client.get(path).content.decode()
        assert 'rel="icon"' in html
        assert f"<title>{heading} · Kasa Monitor</title>" in html
        assert f"<h1>{heading}</h1>" in html or f">{heading}</h1>" in html
