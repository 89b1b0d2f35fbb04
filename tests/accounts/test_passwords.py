from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PasswordResetToken
from security.models import AuditLog
from tests.accounts.support import bearer, login
from tests.auth import access_token_for
from tests.support import assert_error

pytestmark = pytest.mark.django_db
NEW = "N3w!Passw0rd-1"


def _change(client, current, new):
    return client.post(
        "/api/auth/change-password",
        {"currentPassword": current, "newPassword": new},
        format="json",
    )


def _reset_token(mailoutbox) -> str:
    return re.search(r"reset-password\?token=([0-9a-f]+)", mailoutbox[-1].body)[1]


def test_passwords_are_hashed_with_argon2_by_default(settings):
    from kasamonitor import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Sh0rt!", "password_too_short"),
        ("n0upper!pass", "password_no_upper"),
        ("N0LOWER!PASS", "password_no_lower"),
        ("NoDigits!pass", "password_no_digit"),
        ("N0special1pass", "password_no_special"),
    ],
)
def test_the_policy_names_each_broken_rule(password, code):
    with pytest.raises(ValidationError) as info:
        validate_password(password)
    assert code in {e.code for e in info.value.error_list}


def test_the_policy_rules_can_be_switched_off(settings):
    settings.PASSWORD_POLICY = {**settings.PASSWORD_POLICY, "require_special": False}
    validate_password("N0special1pass")


def test_change_password_keeps_this_session_and_ends_the_others(viewer_user, password):
    other, mine = access_token_for(viewer_user), access_token_for(viewer_user)
    response = _change(bearer(mine), password, NEW)
    assert response.json() == {"message": "Password changed successfully"}
    assert bearer(mine).get("/api/auth/me").status_code == 200
    assert_error(bearer(other).get("/api/auth/me"), 401, "SESSION_REVOKED")
    assert login(APIClient(), "charlie", NEW).status_code == 200
    assert AuditLog.objects.filter(action="password_change", outcome="success").exists()


def test_change_password_needs_the_current_one(viewer_api):
    assert_error(_change(viewer_api, "Wr0ng!pass", NEW), 401, "INVALID_CREDENTIALS")


def test_change_password_refuses_a_weak_or_unchanged_password(viewer_api, password):
    body = assert_error(_change(viewer_api, password, "weak"), 400, "PASSWORD_WEAK")
    assert body["field"] == "newPassword" and len(body["errors"]["newPassword"]) >= 3
    assert_error(_change(viewer_api, password, password), 400, "VALIDATION_ERROR")


def test_none_of_the_last_three_passwords_may_come_back(viewer_user, password):
    client = bearer(access_token_for(viewer_user))
    assert _change(client, password, "Second!Pass1").status_code == 200
    assert _change(client, "Second!Pass1", "Third!Pass11").status_code == 200
    body = assert_error(_change(client, "Third!Pass11", password), 400, "PASSWORD_WEAK")
    assert "last 3 passwords" in body["message"]
    assert _change(client, "Third!Pass11", "Fourth!Pass1").status_code == 200
    assert _change(client, "Fourth!Pass1", password).status_code == 200  # 4 back: allowed


def test_forgot_password_mails_a_single_use_link(api_client, viewer_user, mailoutbox, settings):
    settings.FRONTEND_URL = "https://kasa.example"
    response = api_client.post(
        "/api/auth/forgot-password", {"email": "charlie@example.com"}, format="json"
    )
    assert response.json()["message"].startswith("If an account exists")
    assert mailoutbox[0].to == ["charlie@example.com"]
    token = _reset_token(mailoutbox)
    assert len(token) == 64
    assert f"https://kasa.example/reset-password?token={token}" in mailoutbox[0].body
    assert not PasswordResetToken.objects.filter(token_hash=token).exists()  # stored hashed


def test_forgot_password_answers_the_same_for_unknown_email(api_client, mailoutbox):
    response = api_client.post(
        "/api/auth/forgot-password", {"email": "ghost@example.com"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["message"].startswith("If an account exists")
    assert mailoutbox == []


def test_forgot_password_wants_a_valid_email(api_client):
    bad = api_client.post("/api/auth/forgot-password", {"email": "nope"}, format="json")
    assert_error(bad, 400, "VALIDATION_ERROR")


def test_reset_sets_the_password_and_ends_every_session(api_client, viewer_user, mailoutbox):
    before = access_token_for(viewer_user)
    api_client.post("/api/auth/forgot-password", {"email": "charlie@example.com"}, format="json")
    token = _reset_token(mailoutbox)
    response = api_client.post(
        "/api/auth/reset-password", {"token": token, "newPassword": NEW}, format="json"
    )
    assert response.status_code == 200
    assert_error(bearer(before).get("/api/auth/me"), 401, "SESSION_REVOKED")
    assert login(api_client, "charlie", NEW).status_code == 200
    assert AuditLog.objects.filter(action="password_reset").exists()


def test_a_reset_token_works_once(api_client, viewer_user, mailoutbox):
    api_client.post("/api/auth/forgot-password", {"email": "charlie@example.com"}, format="json")
    body = {"token": _reset_token(mailoutbox), "newPassword": NEW}
    assert api_client.post("/api/auth/reset-password", body, format="json").status_code == 200
    again = api_client.post(
        "/api/auth/reset-password", {**body, "newPassword": "An0ther!pass"}, format="json"
    )
    assert_error(again, 400, "INVALID_TOKEN")


def test_a_reset_token_expires_after_30_minutes(api_client, viewer_user, mailoutbox):
    api_client.post("/api/auth/forgot-password", {"email": "charlie@example.com"}, format="json")
    body = {"token": _reset_token(mailoutbox), "newPassword": NEW}
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = api_client.post("/api/auth/reset-password", body, format="json")
    assert_error(response, 400, "INVALID_TOKEN")


def test_a_weak_password_does_not_burn_the_token(api_client, viewer_user, mailoutbox):
    api_client.post("/api/auth/forgot-password", {"email": "charlie@example.com"}, format="json")
    token = _reset_token(mailoutbox)
    weak = api_client.post(
        "/api/auth/reset-password", {"token": token, "newPassword": "weak"}, format="json"
    )
    assert_error(weak, 400, "PASSWORD_WEAK")
    ok = api_client.post(
        "/api/auth/reset-password", {"token": token, "newPassword": NEW}, format="json"
    )
    assert ok.status_code == 200


def test_both_reset_flows_share_one_token_store(api_client, viewer_user, mailoutbox):
    api_client.post("/api/auth/forgot-password", {"email": "charlie@example.com"}, format="json")
    token = _reset_token(mailoutbox)
    body = {
        "email": "charlie@example.com",
        "resetToken": token,
        "newPassword": NEW,
        "confirmPassword": NEW,
    }
    mismatch = api_client.post(
        "/api/security/reset-password", {**body, "confirmPassword": "Other!pass1"}, format="json"
    )
    assert_error(mismatch, 400, "VALIDATION_ERROR")
    wrong_email = api_client.post(
        "/api/security/reset-password", {**body, "email": "bob@example.com"}, format="json"
    )
    assert_error(wrong_email, 400, "INVALID_TOKEN")
    response = api_client.post("/api/security/reset-password", body, format="json")
    assert response.json()["message"].startswith("Password reset successfully")


def test_security_request_reset_mails_the_same_link(api_client, viewer_user, mailoutbox):
    response = api_client.post(
        "/api/security/request-password-reset", {"email": "charlie@example.com"}, format="json"
    )
    assert response.status_code == 200 and len(_reset_token(mailoutbox)) == 64


def test_reset_requests_are_limited_to_three_per_15_minutes(api_client):
    for _ in range(3):
        api_client.post("/api/auth/forgot-password", {"email": "ghost@example.com"}, format="json")
    response = api_client.post(
        "/api/security/request-password-reset", {"email": "g@example.com"}, format="json"
    )
    body = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert body["retry_after"] > 0 and body["retryAfter"] == body["retry_after"]
    assert response["Retry-After"] == str(body["retry_after"])
