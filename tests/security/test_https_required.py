"""System config require_https: plain HTTP is redirected or refused, HTTPS answers carry HSTS."""

from __future__ import annotations

import pytest

from system.models import SystemConfig

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_hsts_setting(settings):
    settings.SECURE_HSTS_SECONDS = 0  # as with DEBUG: only require_https may send HSTS
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = False


@pytest.fixture
def required(admin_api, no_hsts_setting):
    response = admin_api.put(
        "/api/system/config", {"require_https": True}, format="json", secure=True
    )
    assert response.status_code == 200 and response.json()["require_https"] is True


def test_plain_http_is_served_while_it_is_off(admin_api, no_hsts_setting):
    response = admin_api.get("/api/devices")
    assert response.status_code == 200 and "Strict-Transport-Security" not in response


def test_plain_gets_are_redirected_to_https(admin_api, required):
    response = admin_api.get("/api/devices?status=online")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/devices?status=online"
    assert admin_api.get("/login").status_code == 301


def test_plain_writes_are_refused_not_redirected(admin_api, required):
    response = admin_api.post("/api/devices/discover", {}, format="json")
    assert response.status_code == 403 and response.json()["error_code"] == "HTTPS_REQUIRED"


def test_https_answers_carry_hsts_when_it_is_on(admin_api, required):
    response = admin_api.get("/api/devices", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_health_probes_still_answer_over_plain_http(client, required):
    assert client.get("/api/health").status_code == 200
    assert client.get("/health/ready").status_code in (200, 503)  # not a redirect


def test_it_is_switched_on_over_https_only(admin_api, no_hsts_setting):
    response = admin_api.put("/api/system/config", {"require_https": True}, format="json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "HTTPS_REQUIRED"
    assert response.json()["field"] == "require_https"
    assert SystemConfig.load().require_https is False
    assert admin_api.get("/api/devices").status_code == 200  # nobody was locked out


def test_the_admin_form_keeps_the_same_rule(admin_client):
    SystemConfig.load()
    data = {"polling_interval": 60, "data_retention_days": 365, "require_https": "on"}
    url = "/admin/system/systemconfig/1/change/"
    refused = admin_client.post(url, data)
    assert refused.status_code == 200 and "over an HTTPS connection" in refused.content.decode()
    assert SystemConfig.load().require_https is False
    assert admin_client.post(url, data, secure=True).status_code == 302
    assert SystemConfig.load().require_https is True
