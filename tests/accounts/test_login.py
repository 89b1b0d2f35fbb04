from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from security.models import AuditLog
from tests.accounts.support import bearer, login
from tests.support import assert_error

pytestmark = pytest.mark.django_db


def test_it_logs_in_by_username_with_the_spec_shape(api_client, admin_user):
    response = login(api_client, "alice")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 1800
    assert body["user"] == {
        "id": admin_user.pk,
        "username": "alice",
        "email": "alice@example.com",
        "role": "admin",
        "permissions": ["all"],
    }
    assert body["session"]["session_id"].startswith("sess_")
    assert {"created_at", "expires_at"} <= set(body["session"])
    me = bearer(body["access_token"]).get("/api/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_it_logs_in_by_email_in_either_field(api_client, viewer_user, password):
    by_field = api_client.post(
        "/api/auth/login", {"email": "CHARLIE@example.com", "password": password}, format="json"
    )
    by_username = login(api_client, "charlie@example.com")
    assert by_field.status_code == by_username.status_code == 200
    assert by_field.json()["user"]["permissions"] == [
        "alerts.view",
        "costs.view",
        "devices.view",
        "rates.view",
    ]


def test_it_sets_http_only_token_cookies_and_a_readable_csrf_cookie(api_client, viewer_user):
    response = login(api_client, "charlie")
    access, refresh = response.cookies["access_token"], response.cookies["refresh_token"]
    assert access["httponly"] and refresh["httponly"]
    assert access["samesite"] == "Lax"
    assert response.cookies["csrftoken"].value and not response.cookies["csrftoken"]["httponly"]


def test_it_marks_cookies_secure_outside_debug(settings, api_client, viewer_user):
    settings.COOKIE_SECURE = True
    settings.COOKIE_SAMESITE = "Strict"
    response = login(api_client, "charlie")
    assert response.cookies["access_token"]["secure"]
    assert response.cookies["access_token"]["samesite"] == "Strict"


def test_it_refuses_a_wrong_password_and_audits_it(api_client, viewer_user):
    body = assert_error(login(api_client, "charlie", "Wr0ng!pass"), 401, "INVALID_CREDENTIALS")
    assert body["redirect_to"] == "/login"
    entry = AuditLog.objects.filter(action="login_failed").get()
    assert entry.outcome == "failure" and entry.details["username"] == "charlie"
    assert entry.ip_address == "127.0.0.1"


def test_it_gives_unknown_users_the_same_answer(api_client):
    assert_error(login(api_client, "nobody"), 401, "INVALID_CREDENTIALS")


def test_it_refuses_a_disabled_account(api_client, viewer_user):
    viewer_user.is_active = False
    viewer_user.save()
    assert_error(login(api_client, "charlie"), 401, "INVALID_CREDENTIALS")


def test_it_audits_a_successful_login(api_client, viewer_user):
    login(api_client, "charlie")
    entry = AuditLog.objects.get(action="login")
    assert entry.actor == viewer_user and entry.ip_address == "127.0.0.1"


def test_it_limits_logins_to_five_per_minute_per_ip(api_client, viewer_user):
    for _ in range(5):
        assert login(api_client, "ghost", "bad").status_code == 401
    response = login(api_client, "charlie")
    body = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert 0 < body["retry_after"] <= 60 and response["Retry-After"] == str(body["retry_after"])
    other_ip = login(api_client, "charlie", REMOTE_ADDR="127.0.0.2")
    assert other_ip.status_code == 200


def test_it_backs_off_an_account_after_repeated_failures_from_many_ips(viewer_user):
    client = APIClient()
    for n in range(5):
        assert login(client, "charlie", "bad", REMOTE_ADDR=f"127.0.1.{n}").status_code == 401
    response = login(client, "charlie", REMOTE_ADDR="127.0.2.1")  # right password, still waits
    body = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert 25 <= body["retry_after"] <= 30


def test_it_needs_a_username_and_password(api_client):
    assert_error(api_client.post("/api/auth/login", {}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(
        api_client.post("/api/auth/login", "{oops", content_type="application/json"),
        400,
        "MALFORMED_JSON",
    )


def test_a_stale_cookie_never_blocks_login(api_client, viewer_user):
    api_client.cookies["access_token"] = "garbage"
    assert login(api_client, "charlie").status_code == 200


def test_me_profile_and_users_me_are_the_same_user(viewer_api):
    bodies = [
        viewer_api.get(p).json() for p in ("/api/auth/me", "/api/auth/profile", "/api/users/me")
    ]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["username"] == "charlie" and bodies[0]["two_factor_enabled"] is False


def test_me_needs_authentication(api_client):
    assert_error(api_client.get("/api/auth/me"), 401, "AUTH_REQUIRED")


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "username=charlie&password=Str0ng%21Passw0rd"),
        ("text/plain", '{"username": "charlie", "password": "Str0ng!Passw0rd"}'),
        ("multipart/form-data; boundary=x",
         '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\ncharlie\r\n--x--\r\n'),
    ],
)  # fmt: skip
def test_another_sites_form_cannot_log_a_browser_in(client, viewer_user, content_type, body):
    # What an HTML form on another site can send without a CORS preflight: login CSRF.
    for path in ("/api/auth/login", "/api/auth/register", "/api/auth/setup"):
        response = client.post(path, body, content_type=content_type)
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert "access_token" not in response.cookies
