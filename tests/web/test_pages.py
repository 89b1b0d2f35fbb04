"""Every page renders for the roles that may see it; others are sent to log in or refused."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

EVERYONE = ["/", "/costs", "/rates", "/alerts", "/account"]
ADMIN_ONLY = ["/backups", "/users"]


@pytest.mark.parametrize("path", [*EVERYONE, *ADMIN_ONLY, "/exports", "/devices/1"])
def test_it_sends_anonymous_visitors_to_login(client: Client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", [*EVERYONE, *ADMIN_ONLY, "/exports"])
def test_admin_sees_every_page(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200, response.content[:500]
    assert b"<main" in response.content


@pytest.mark.parametrize("path", [*EVERYONE, "/exports"])
def test_operator_sees_the_operator_pages(operator_client, path):
    assert operator_client.get(path).status_code == 200


@pytest.mark.parametrize("path", EVERYONE)
def test_viewer_sees_the_read_only_pages(viewer_client, path):
    assert viewer_client.get(path).status_code == 200


@pytest.mark.parametrize("path", [*ADMIN_ONLY, "/exports"])
def test_viewer_is_refused_admin_and_export_pages(viewer_client, path):
    response = viewer_client.get(path)
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_operator_is_refused_admin_pages(operator_client):
    assert operator_client.get("/users").status_code == 403
    assert operator_client.get("/backups").status_code == 403


def test_navigation_shows_only_what_the_role_may_open(viewer_client, admin_client):
    viewer_page = viewer_client.get("/").content.decode()
    admin_page = admin_client.get("/").content.decode()
    assert 'href="/users"' not in viewer_page and 'href="/backups"' not in viewer_page
    assert 'href="/exports"' not in viewer_page
    assert 'href="/users"' in admin_page and 'href="/backups"' in admin_page


def test_viewer_gets_no_power_switch(viewer_client, operator_client):
    DeviceFactory(alias="Kettle")
    assert b'data-action="power"' not in viewer_client.get("/").content
    assert b'data-action="power"' in operator_client.get("/").content


def test_dashboard_card_shows_name_status_and_power(viewer_client):
    device = DeviceFactory(alias="Kettle", status="online", current_power_w=1234.5, is_on=True)
    html = viewer_client.get("/").content.decode()
    assert "Kettle" in html
    assert f'data-device-id="{device.pk}"' in html
    assert "1,234.5" in html
    assert 'class="badge online"' in html


def test_empty_dashboard_offers_discovery_to_operators(operator_client, viewer_client):
    operator_html = operator_client.get("/").content.decode()
    assert "No devices yet" in operator_html
    assert "Discover devices" in operator_html and "Add by IP" in operator_html
    viewer_html = viewer_client.get("/").content.decode()
    assert "No devices yet" in viewer_html and "Discover devices" not in viewer_html


def test_device_page_renders_chart_and_stats(viewer_client):
    device = DeviceFactory(alias="Fridge")
    response = viewer_client.get(f"/devices/{device.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="history-chart"' in html
    assert "vendor/plotly.min.js" in html


def test_unknown_device_page_is_a_friendly_404(viewer_client):
    response = viewer_client.get("/devices/999999")
    assert response.status_code == 404
    assert b"couldn't find that device" in response.content


def test_pages_use_no_inline_scripts(admin_client):
    DeviceFactory()
    for path in [*EVERYONE, *ADMIN_ONLY, "/exports"]:
        html = admin_client.get(path).content.decode()
        for tag in html.split("<script")[1:]:
            opening = tag.split(">")[0]
            if 'type="application/json"' in opening:  # data for a script (json_script): never run
                continue
            assert " src=" in opening, f"inline script on {path}"


def test_pages_set_the_csrf_cookie_for_their_scripts(admin_client):
    response = admin_client.get("/")
    assert "csrftoken" in response.cookies


def test_a_revoked_session_is_treated_as_logged_out(admin_user):
    from accounts import sessions
    from tests.web.support import logged_in_client

    client = logged_in_client(admin_user)
    for session in sessions.session_list(admin_user):
        sessions.session_end(session, reason="test")
    assert client.get("/").status_code == 302


def test_garbage_cookie_is_treated_as_logged_out(client: Client):
    client.cookies["access_token"] = "not-a-jwt"
    assert client.get("/").status_code == 302


def test_the_rates_page_says_which_hours_fall_back_to_which_price(operator_client, operator_api):
    spec_tou = {
        "rate_type": "time_of_use",
        "time_of_use_rates": [
            {"start_hour": 0, "end_hour": 6, "rate": 0.08, "label": "Off-Peak"},
            {"start_hour": 6, "end_hour": 22, "rate": 0.12, "label": "Peak"},
        ],
    }
    assert b'id="rates-fallback" hidden></p>' in operator_client.get("/rates").content
    assert operator_api.post("/api/rates", spec_tou, format="json").status_code == 201
    page = operator_client.get("/rates").content.decode()
    assert (
        "Hours no period covers are priced at 0.08 per kWh (the first period&#x27;s price): "
        "22:00–24:00 every day." in page
    )
    weekdays = [{**p, "days_of_week": [0, 1, 2, 3, 4]} for p in spec_tou["time_of_use_rates"]]
    plan = {**spec_tou, "time_of_use_rates": weekdays, "default_rate": 0.05}
    assert operator_api.post("/api/rates", plan, format="json").status_code == 201
    page = operator_client.get("/rates").content.decode()
    assert (
        "priced at 0.05 per kWh (the price for other hours): 22:00–24:00 on Monday, Tuesday, "
        "Wednesday, Thursday, Friday; 00:00–24:00 on Saturday, Sunday." in page
    )
