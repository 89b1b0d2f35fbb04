from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import LoginSession
from accounts.sessions import session_start
from security.models import AuditLog
from tests.accounts.support import bearer, login
from tests.auth import access_token_for
from tests.support import assert_error

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _login(username="charlie", **extra) -> dict:
    return login(APIClient(), username, **extra).json()


def test_a_revoked_session_is_refused_on_the_very_next_request(viewer_user):
    first, second = _login(), _login()
    client = bearer(second["access_token"])
    assert client.get("/api/auth/me").status_code == 200
    sid = first["session"]["session_id"]
    assert client.delete(f"/api/auth/sessions/{sid}").status_code == 200
    body = assert_error(bearer(first["access_token"]).get("/api/auth/me"), 401, "SESSION_REVOKED")
    assert body["redirect_to"] == "/login"
    assert AuditLog.objects.filter(action="session_revoked").exists()


def test_the_fourth_login_ends_the_first(viewer_user):
    first, *_rest = [_login() for _ in range(4)]
    assert_error(bearer(first["access_token"]).get("/api/auth/me"), 401, "SESSION_REVOKED")
    assert LoginSession.objects.active().filter(user=viewer_user).count() == 3
    oldest = LoginSession.objects.filter(user=viewer_user).order_by("created_at").first()
    assert oldest.revoked_reason == "session_limit"


def test_sessions_are_listed_with_the_current_one_marked(viewer_user):
    _login(HTTP_USER_AGENT=FIREFOX)
    mine = _login()
    body = bearer(mine["access_token"]).get("/api/auth/sessions").json()
    assert body["total"] == 2 and body["max_allowed"] == 3
    current = [s for s in body["sessions"] if s["is_current"]]
    assert [s["session_id"] for s in current] == [mine["session"]["session_id"]]
    other = next(s for s in body["sessions"] if not s["is_current"])
    assert other["device_name"] == "Firefox on Windows" and other["ip_address"] == "127.0.0.1"
    assert {"user_agent", "created_at", "last_activity", "expires_at"} <= set(other)


def test_security_sessions_are_a_camel_case_array(viewer_user):
    mine = _login()
    rows = bearer(mine["access_token"]).get("/api/security/sessions").json()
    assert isinstance(rows, list) and len(rows) == 1
    assert {"id", "deviceName", "ipAddress", "createdAt", "lastActivity"} <= set(rows[0])
    assert mine["session"]["session_id"] == "sess_" + rows[0]["id"].replace("-", "")


def test_a_session_can_be_revoked_by_its_uuid(viewer_user):
    first, second = _login(), _login()
    uuid = str(LoginSession.objects.get(pk=first["session"]["session_id"][5:]).pk)
    response = bearer(second["access_token"]).delete(f"/api/security/sessions/{uuid}")
    assert response.json() == {"message": "Session revoked successfully"}


def test_nobody_revokes_someone_elses_session(viewer_user, operator_user):
    victim = _login("charlie")
    attacker = bearer(_login("bob")["access_token"])
    sid = victim["session"]["session_id"]
    assert_error(attacker.delete(f"/api/auth/sessions/{sid}"), 403, "INSUFFICIENT_PERMISSIONS")
    assert_error(attacker.delete("/api/auth/sessions/sess_0123"), 404, "NOT_FOUND")
    assert bearer(victim["access_token"]).get("/api/auth/me").status_code == 200


def _started(user):
    return session_start(user, ip="127.0.0.1", user_agent="pytest")


REVOKE_OTHERS = "/api/security/sessions/revoke-others"


@pytest.mark.parametrize("form", ["uuid", "public id"])
def test_revoke_others_keeps_the_current_session_it_names(viewer_user, form):
    first, second, mine = _started(viewer_user), _started(viewer_user), _started(viewer_user)
    client = bearer(mine.access)
    session_id = str(mine.session.pk) if form == "uuid" else mine.session.public_id
    response = client.post(REVOKE_OTHERS, {"sessionId": session_id}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["sessions_terminated"] == 2
    for other in (first, second):
        assert_error(bearer(other.access).get("/api/auth/me"), 401, "SESSION_REVOKED")
    assert client.get("/api/auth/me").status_code == 200


def test_revoke_others_needs_the_session_id(viewer_user):
    other, mine = _started(viewer_user), _started(viewer_user)
    for body in ({}, {"sessionId": ""}):
        refused = bearer(mine.access).post(REVOKE_OTHERS, body, format="json")
        assert assert_error(refused, 400, "VALIDATION_ERROR")["field"] == "sessionId"
    assert bearer(other.access).get("/api/auth/me").status_code == 200


def test_revoke_others_refuses_any_session_but_the_callers_current_one(viewer_user, operator_user):
    other, mine = _started(viewer_user), _started(viewer_user)
    someone_else = _started(operator_user)
    for session_id in (str(other.session.pk), other.session.public_id,
                       str(someone_else.session.pk), "not-a-session"):  # fmt: skip
        refused = bearer(mine.access).post(REVOKE_OTHERS, {"sessionId": session_id}, format="json")
        body = assert_error(refused, 400, "NOT_CURRENT_SESSION")
        assert body["field"] == "sessionId" and "current session" in body["message"]
    for tokens in (other, mine, someone_else):
        assert bearer(tokens.access).get("/api/auth/me").status_code == 200


def test_logout_ends_only_the_current_session(viewer_user):
    other, mine = _login(), _login()
    response = bearer(mine["access_token"]).post("/api/auth/logout")
    assert response.json() == {"message": "Logged out successfully", "sessions_terminated": 1}
    assert_error(bearer(mine["access_token"]).get("/api/auth/me"), 401, "SESSION_REVOKED")
    assert bearer(other["access_token"]).get("/api/auth/me").status_code == 200
    assert AuditLog.objects.filter(action="logout", actor=viewer_user).exists()


def test_security_logout_ends_every_session(viewer_user):
    other, mine = _login(), _login()
    response = bearer(mine["access_token"]).post("/api/security/logout")
    assert response.json()["message"] == "Logged out successfully"
    for tokens in (other, mine):
        assert_error(bearer(tokens["access_token"]).get("/api/auth/me"), 401, "SESSION_REVOKED")
    refresh = APIClient().post(
        "/api/auth/refresh", {"refresh_token": other["refresh_token"]}, format="json"
    )
    assert_error(refresh, 401, "SESSION_REVOKED")


def test_disabling_a_user_ends_their_sessions_at_once(admin_api, viewer_user):
    token = access_token_for(viewer_user)
    admin_api.patch(f"/api/users/{viewer_user.pk}", {"is_active": False}, format="json")
    assert_error(bearer(token).get("/api/auth/me"), 401, "SESSION_REVOKED")


def test_the_websocket_refuses_a_revoked_sessions_token(viewer_user):
    from accounts.ws_auth import _authenticate

    check = _authenticate.func  # the sync body; its async wrapper would close the test DB
    token = access_token_for(viewer_user)
    assert check(token)[0] == viewer_user
    LoginSession.objects.update(revoked_at="2020-01-01T00:00:00Z")
    assert check(token)[0].is_anonymous


def test_last_activity_is_written_once_per_interval_and_again_after_it(viewer_user, monkeypatch):
    from django.core.cache import cache

    from accounts import sessions

    clock = [1_000_000.0]
    monkeypatch.setattr(sessions.time, "monotonic", lambda: clock[0])
    tokens = _login()
    session = LoginSession.objects.get(user=viewer_user)
    past = session.last_activity.replace(year=2020)
    LoginSession.objects.filter(pk=session.pk).update(last_activity=past)
    client = bearer(tokens["access_token"])

    assert client.get("/api/auth/me").status_code == 200  # the first request touches the row
    touched = LoginSession.objects.get(pk=session.pk).last_activity
    assert touched > past
    LoginSession.objects.filter(pk=session.pk).update(last_activity=past)
    clock[0] += sessions.TOUCH_INTERVAL - 1
    assert client.get("/api/auth/me").status_code == 200  # within the interval: no write
    assert LoginSession.objects.get(pk=session.pk).last_activity == past

    clock[0] += 2
    cache.delete(f"accounts:session-touch:{session.pk.hex}")  # the shared marker expired too
    assert client.get("/api/auth/me").status_code == 200
    assert LoginSession.objects.get(pk=session.pk).last_activity > past
