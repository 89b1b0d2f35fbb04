"""The device page's appliance runs: the list, the summary line and the settings form,
rendered and posted without any script."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from devices.models import Reading
from insights import services
from insights.models import ApplianceRun, ApplianceSettings
from tests.billing.factories import forced_client
from tests.factories import DeviceFactory
from tests.insights.support import save_plan, utc
from tests.web.support import logged_in_client

pytestmark = pytest.mark.django_db
NOW = utc(2025, 6, 10, 12, 0)


@pytest.fixture
def kettle(admin_user):
    save_plan(forced_client(admin_user), utc(2025, 1, 1),
              {"rate_type": "simple", "rate_per_kwh": 0.30, "timezone": "UTC"})  # fmt: skip
    device = DeviceFactory(alias="Kettle")
    # 09:00: 2 kW for 5 minutes after the first reading (1/6 kWh), seen off at 09:06.
    Reading.objects.bulk_create(
        Reading(device=device, timestamp=utc(2025, 6, 10, 9, 0) + timedelta(minutes=n),
                power_w=w, energy_delta_kwh=w / 60_000)
        for n, w in enumerate([2000] * 6 + [0] * 10)
    )  # fmt: skip
    return device


def test_an_editor_picks_the_appliance_and_the_page_lists_its_runs(operator_user, kettle):
    with time_machine.travel(NOW, tick=False):
        client = logged_in_client(operator_user)
        html = client.get(f"/devices/{kettle.pk}").content.decode()
        assert "Runs of this device are not detected" in html and 'id="appliance-form"' in html
        answer = client.post(
            f"/devices/{kettle.pk}/appliance", {"kind": "kettle", "threshold_w": ""}
        )
        assert answer.status_code == 302 and answer["Location"].endswith(
            f"/devices/{kettle.pk}#runs"
        )
        settings = ApplianceSettings.objects.get(device=kettle)
        assert (settings.kind, settings.threshold_w, settings.max_gap_minutes) == (
            "kettle",
            1000,
            2,
        )
        services.appliance_runs_detect()  # the worker's job (queued after commit)
        html = client.get(f"/devices/{kettle.pk}").content.decode()
    # 1/6 kWh at 0.30 = 0.05 and at the default 475 g/kWh 0.079 kg of CO2 (0.08); a flat
    # plan: every hour the same.
    assert "Last 1 run: avg 0.167 kWh, 0.05 USD · 0.08 kg CO₂ per run" in html
    assert '<td class="num">0.05 USD</td><td class="num">0.08</td>' in html
    assert "every hour of tomorrow costs the same to start it (0.05 USD)" in html
    assert '<td class="num">6 min</td>' in html and 'id="runs-chart"' in html


def test_a_bad_figure_is_refused_with_a_message_and_nothing_changes(operator_user, kettle):
    with time_machine.travel(NOW, tick=False):
        client = logged_in_client(operator_user)
        answer = client.post(
            f"/devices/{kettle.pk}/appliance",
            {"kind": "kettle", "min_run_minutes": "0"},
            follow=True,
        )
    assert not ApplianceSettings.objects.exists()
    assert '<p class="message error">Ensure this value is greater than or equal to 1.</p>' in (
        answer.content.decode()
    )


def test_stopping_detection_forgets_the_runs(operator_user, kettle):
    ApplianceSettings.objects.create(
        device=kettle, kind="kettle", threshold_w=1000, min_run_minutes=1, max_gap_minutes=2
    )
    with time_machine.travel(NOW, tick=False):
        services.appliance_runs_detect()
        assert ApplianceRun.objects.count() == 1
        logged_in_client(operator_user).post(f"/devices/{kettle.pk}/appliance", {"remove": "1"})
    assert not ApplianceRun.objects.exists() and not ApplianceSettings.objects.exists()


def test_a_viewer_sees_the_runs_but_not_the_form_and_cannot_post_it(viewer_user, kettle):
    ApplianceSettings.objects.create(
        device=kettle, kind="kettle", threshold_w=1000, min_run_minutes=1, max_gap_minutes=2
    )
    with time_machine.travel(NOW, tick=False):
        services.appliance_runs_detect()
        client = logged_in_client(viewer_user)
        html = client.get(f"/devices/{kettle.pk}").content.decode()
        refused = client.post(f"/devices/{kettle.pk}/appliance", {"kind": "washer"})
    assert "Last 1 run" in html and 'id="appliance-form"' not in html
    assert refused.status_code == 403
    assert ApplianceSettings.objects.get(device=kettle).kind == "kettle"


def test_the_dashboard_and_the_costs_page_list_the_runs_by_device(viewer_user, kettle, settings):
    settings.TIME_ZONE = "UTC"
    ApplianceSettings.objects.create(
        device=kettle, kind="kettle", threshold_w=1000, min_run_minutes=1, max_gap_minutes=2
    )
    # Two kettle runs: 09:00 on 10 June (above) and 09:00 on 2 June, each 1/6 kWh: 0.05 USD at
    # 0.30 and 0.079 kg CO2 at the default 475 g/kWh.
    Reading.objects.bulk_create(
        Reading(device=kettle, timestamp=utc(2025, 6, 2, 9, 0) + timedelta(minutes=n),
                power_w=w, energy_delta_kwh=w / 60_000)
        for n, w in enumerate([2000] * 6 + [0] * 10)
    )  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        services.appliance_runs_detect()
        client = logged_in_client(viewer_user)
        dashboard = client.get("/").content.decode()
        month = client.get("/costs?period=this_month").content.decode()
        custom = client.get(
            "/costs?period=custom&start_date=2025-06-01&end_date=2025-06-05"
        ).content.decode()

    def kettle_row(html: str) -> str:
        return html.split('id="appliances-table"')[1].split(f'<tr data-device="{kettle.pk}">')[1]

    # The last 7 days (4-10 June): the run of the 10th only.
    assert "The last 7 days" in dashboard
    cells = '<td class="num">1</td><td class="num">0.167</td><td class="num">0.05 USD</td>'
    assert kettle_row(dashboard).startswith(
        f'<th scope="row"><a href="/devices/{kettle.pk}#runs">Kettle</a></th>{cells}'
    )
    # June so far: both (0.333 kWh, 0.10 USD, 0.158 kg); 1-5 June: the run of the 2nd.
    assert (
        '<td class="num">2</td><td class="num">0.333</td><td class="num">0.10 USD</td><td class="num">0.16</td>'
        in kettle_row(month)
    )
    assert kettle_row(custom).split("</th>")[1].startswith(cells)
