"""The admin console's cookie session is a login session like any other: "log out
everywhere", revoking it, or a password change elsewhere end it on the next page."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import LoginSession
from tests.accounts.support import bearer, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(admin_user, password) -> Client:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    response = client.post("/admin/login/", {"username": "alice", "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    return client


@pytest.fixture
def api_token(api_client, admin_user, console):
    return login(api_client, "alice").json()["access_token"]


def _logged_out(console: Client) -> bool:
    response = console.get("/admin/")
    return response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_console_login_is_listed_with_the_users_sessions(console, api_token):
    sessions = bearer(api_token).get("/api/auth/sessions").json()["sessions"]
    assert any(s["device_name"].endswith("(admin console)") for s in sessions)


def test_logging_out_everywhere_ends_the_console_session(console, api_token):
    assert bearer(api_token).post("/api/security/logout").status_code == 200
    assert _logged_out(console)


def test_revoking_the_console_session_ends_it(console, api_token):
    listed = bearer(api_token).get("/api/auth/sessions").json()["sessions"]
    (mine,) = [s for s in listed if s["device_name"].endswith("(admin console)")]
    assert bearer(api_token).delete(f"/api/auth/sessions/{mine['session_id']}").status_code == 200
    assert _logged_out(console)
    assert bearer(api_token).get("/api/auth/me").status_code == 200  # the API session stays


def test_revoking_the_other_sessions_ends_it(console, api_client, admin_user):
    answer = login(api_client, "alice").json()
    own = {"sessionId": answer["session"]["session_id"]}  # the spec: name your own session
    revoked = bearer(answer["access_token"]).post(
        "/api/security/sessions/revoke-others", own, format="json"
    )
    assert revoked.status_code == 200, revoked.json()
    assert _logged_out(console)


def test_a_password_change_through_the_api_ends_it(console, api_token, password):
    body = {"currentPassword": password, "newPassword": "N3w!Passw0rd-x"}
    response = bearer(api_token).post("/api/auth/change-password", body, format="json")
    assert response.status_code == 200
    assert _logged_out(console)


def test_the_end_all_sessions_action_ends_the_admins_own_console(console, admin_user):
    console.post(
        "/admin/accounts/user/",
        {"action": "revoke_sessions", "_selected_action": [admin_user.pk]},
    )
    assert _logged_out(console)


def test_logging_out_of_the_console_ends_its_login_session(console):
    console.post("/admin/logout/")
    (session,) = LoginSession.objects.filter(device_name__endswith="(admin console)")
    assert session.revoked_reason == "logout"


def test_a_console_password_change_keeps_the_console_and_ends_the_rest(
    console, api_token, password
):
    new = "N3w!Passw0rd-x"
    response = console.post(
        "/admin/password_change/",
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert console.get("/admin/").status_code == 200
    assert bearer(api_token).get("/api/auth/me").status_code == 401


def test_console_logins_never_end_the_users_browser_sessions(admin_user, api_client, password):
    """The session limit counts console logins apart: console logins left open (a browser
    tab, a closed laptop) must not log the admin out of the web UI and API."""
    api = login(api_client, "alice").json()["access_token"]
    for _ in range(4):  # more console logins than the limit
        Client().post("/admin/login/", {"username": "alice", "password": password})
    assert bearer(api).get("/api/auth/me").status_code == 200
    consoles = LoginSession.objects.active().filter(user=admin_user, console=True)
    assert consoles.count() == 3  # the console's own limit still holds
