"""The rates page's grid-intensity form (no JavaScript), and kg of CO2 beside the costs on
the costs page, the dashboard and the device page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from billing import selectors, services
from billing.models import RepriceRequest
from devices.models import DailyRollup
from tests.billing.factories import write_hours
from tests.factories import DeviceFactory
from tests.web.support import logged_in_client

pytestmark = pytest.mark.django_db

ROWS = {  # one override and one empty spare row, as the page posts them
    "o_label": ["Evening", ""], "o_start_month": ["", ""], "o_end_month": ["", ""],
    "o_start_hour": ["18", ""], "o_end_hour": ["22", ""], "o_g_per_kwh": ["650", ""],
}  # fmt: skip


@pytest.fixture
def editor(operator_user):
    return logged_in_client(operator_user)


def test_an_editor_saves_the_intensity_with_the_form_and_history_is_redone(editor):
    page = editor.get("/rates").content.decode()
    assert 'action="/rates/grid-intensity"' in page and "No intensity saved yet" in page
    response = editor.post("/rates/grid-intensity", {"default_g_per_kwh": "320", **ROWS})
    assert response.status_code == 302 and response["Location"] == "/rates"
    setting = selectors.grid_intensity()
    assert setting.intensity.default_g_per_kwh == 320.0
    assert setting.intensity.overrides == (
        {"start_hour": 18, "end_hour": 22, "g_per_kwh": 650.0, "label": "Evening"},
    )
    assert RepriceRequest.objects.exists()  # every stored hour's kg worked out again
    page = editor.get("/rates").content.decode()
    assert 'value="650"' in page and 'value="Evening"' in page


def test_a_refused_intensity_comes_back_with_what_was_typed(editor):
    bad = {**ROWS, "o_end_hour": ["25", ""]}
    response = editor.post("/rates/grid-intensity", {"default_g_per_kwh": "320", **bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "overrides[0].end_hour: must be a whole number from 0 to 24" in page
    assert 'value="25"' in page and selectors.grid_intensity().is_default


def test_a_viewer_sees_the_intensity_but_cannot_save_it(viewer_user):
    viewer = logged_in_client(viewer_user)
    assert "Grid carbon intensity" in viewer.get("/rates").content.decode()
    response = viewer.post("/rates/grid-intensity", {"default_g_per_kwh": "10"})
    assert response.status_code == 403 and selectors.grid_intensity().is_default


def test_the_costs_dashboard_and_device_pages_show_kg_beside_the_cost(editor, settings):
    services.grid_intensity_save({"default_g_per_kwh": 500})
    plug = DeviceFactory(alias="Heater")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    write_hours(plug, now, [2.0])  # this hour: 2 kWh x 500 g = 1 kg
    DailyRollup.objects.create(device=plug, day=timezone.localdate(), energy_kwh=2.0, samples=60)
    services.price_pending()
    costs = editor.get("/costs?period=last_7_days").content.decode()
    assert "CO₂ (kg)" in costs and "1.000" in costs  # the device's row
    assert "kWh · 1.00 kg CO₂" in costs  # "This bill": so far
    assert editor.get("/").content.decode().count("1.00 kg CO₂") >= 1  # today's card
    assert "1.00 kg CO₂" in editor.get(f"/devices/{plug.pk}").content.decode()
