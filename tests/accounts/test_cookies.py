from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.accounts.support import bearer, login
from tests.support import assert_error

pytestmark = pytest.mark.django_db

CHANGE = {"currentPassword": "Str0ng!Passw0rd", "newPassword": "N3w!Passw0rd-1"}


@pytest.fixture
def cookie_client(viewer_user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    assert login(client, "charlie").status_code == 200
    return client


def test_cookie_clients_read_without_a_header(cookie_client):
    assert cookie_client.get("/api/auth/me").json()["username"] == "charlie"


def test_cookie_writes_need_the_csrf_token(cookie_client):
    response = cookie_client.post("/api/auth/change-password", CHANGE, format="json")
    body = assert_error(response, 403, "CSRF_FAILED")
    assert body["reason"] == "csrf"


def test_cookie_writes_pass_with_the_csrf_token(cookie_client):
    csrf = cookie_client.cookies["csrftoken"].value
    response = cookie_client.post(
        "/api/auth/change-password", CHANGE, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200


def test_header_clients_need_no_csrf_token(viewer_user):
    token = login(APIClient(), "charlie").json()["access_token"]
    client = bearer(token)
    client.handler.enforce_csrf_checks = True
    assert client.post("/api/auth/change-password", CHANGE, format="json").status_code == 200


def test_logout_clears_the_cookies(cookie_client):
    csrf = cookie_client.cookies["csrftoken"].value
    response = cookie_client.post("/api/auth/logout", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200
    assert response.cookies["access_token"].value == ""
    assert response.cookies["refresh_token"].value == ""
