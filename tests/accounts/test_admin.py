"""The Django admin: OTP-aware login, user and session actions."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import LoginSession
from tests.accounts.support import bearer
from tests.auth import access_token_for
from tests.support import assert_error

pytestmark = pytest.mark.django_db


def _admin_login(password, **otp):
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": password, **otp}
    )
    return client, response


def test_an_admin_without_2fa_logs_in_with_the_password(admin_user, password):
    client, response = _admin_login(password)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_admin_with_2fa_must_give_a_code(admin_user, password):
    device = TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    _client, refused = _admin_login(password)
    assert refused.status_code == 200  # the form again, asking for the code
    _client, with_code = _admin_login(password, otp_token="ABCDE-FGHJK")  # no backup codes here
    assert with_code.status_code == 200 and _errors(with_code) == _errors(refused)
    code = f"{totp(device.bin_key):06d}"
    client, response = _admin_login(password, otp_device=device.persistent_id, otp_token=code)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_pages_list_users_and_sessions(admin_client, viewer_user):
    access_token_for(viewer_user)
    assert b"charlie" in admin_client.get("/admin/accounts/user/?role__exact=viewer").content
    assert (
        admin_client.get(f"/admin/accounts/user/{quote(viewer_user.pk)}/change/").status_code == 200
    )
    assert admin_client.get("/admin/accounts/loginsession/").status_code == 200


def test_the_revoke_sessions_action_ends_them(admin_client, viewer_user):
    token = access_token_for(viewer_user)
    admin_client.post(
        "/admin/accounts/user/", {"action": "revoke_sessions", "_selected_action": [viewer_user.pk]}
    )
    assert_error(bearer(token).get("/api/auth/me"), 401, "SESSION_REVOKED")


def test_the_force_reset_action_mails_a_link(admin_client, viewer_user, mailoutbox):
    admin_client.post(
        "/admin/accounts/user/",
        {"action": "force_password_reset", "_selected_action": [viewer_user.pk]},
    )
    assert "reset-password?token=" in mailoutbox[0].body


def test_the_disable_action_refuses_the_last_admin(admin_client, admin_user, viewer_user):
    admin_client.post(
        "/admin/accounts/user/",
        {"action": "disable_users", "_selected_action": [admin_user.pk, viewer_user.pk]},
    )
    admin_user.refresh_from_db()
    viewer_user.refresh_from_db()
    assert admin_user.is_active and not viewer_user.is_active


def test_the_session_revoke_action(admin_client, viewer_user):
    token = access_token_for(viewer_user)
    session = LoginSession.objects.get(user=viewer_user)  # the admin has one too
    admin_client.post(
        "/admin/accounts/loginsession/", {"action": "revoke", "_selected_action": [session.pk]}
    )
    assert_error(bearer(token).get("/api/auth/me"), 401, "SESSION_REVOKED")


def _errors(response) -> str:
    return " ".join(
        re.findall(r'class="errornote">\s*(.*?)\s*</p>', response.content.decode(), re.S)
    )


@pytest.fixture
def admin_2fa(admin_user, admin_api):
    """alice with 2FA on; returns (her app device, her backup codes)."""
    codes = admin_api.post("/api/auth/2fa/setup").json()["backup_codes"]
    device = TOTPDevice.objects.get(user=admin_user)
    verified = admin_api.post("/api/auth/2fa/verify", {"token": f"{totp(device.bin_key):06d}"})
    assert verified.status_code == 200
    return device, codes


def test_an_admin_logs_in_with_a_backup_code(admin_2fa, password):
    _device, codes = admin_2fa
    client, response = _admin_login(password, otp_token=codes[0])
    assert response.status_code == 302, _errors(response)
    assert client.get("/admin/").status_code == 200


def test_a_right_admin_code_while_held_is_not_called_invalid(admin_2fa, password):
    """The admin's one-step form cannot say "wait" only to a right password (that would tell
    the password was right): every failure gets one answer, which says to wait after a
    wrong code; the backup codes are a device of their own and are not held."""
    device, codes = admin_2fa
    right = f"{totp(device.bin_key, drift=1):06d}"
    wrong = next(c for c in ("000000", "111111", "222222") if c != right)
    _client, refused = _admin_login(password, otp_token=wrong)
    _client, held = _admin_login(password, otp_token=right)
    _client, bad_password = _admin_login("not-the-password", otp_token=right)
    assert held.status_code == 200
    assert _errors(held) == _errors(refused) == _errors(bad_password)
    assert "wait" in _errors(held) and "Invalid token" not in _errors(held)
    client, response = _admin_login(password, otp_token=codes[0])
    assert response.status_code == 302, _errors(response)


# -- the last admin in the admin console -----------------------------------------------------


def _change_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "is_active": "on" if user.is_active else "",
        **changes,
    }
    return {k: v for k, v in data.items() if v != ""}


def test_the_change_form_keeps_the_last_admin(admin_client, admin_user):
    url = f"/admin/accounts/user/{quote(admin_user.pk)}/change/"
    demoted = admin_client.post(url, _change_form(admin_user, role="viewer"))
    disabled = admin_client.post(url, _change_form(admin_user, is_active=""))
    for response in (demoted, disabled):
        assert response.status_code == 200  # the form again, with the error
        assert "last active administrator" in str(response.context["adminform"].form.errors)
    admin_user.refresh_from_db()
    assert admin_user.role == "admin" and admin_user.is_active
    renamed = admin_client.post(url, _change_form(admin_user, full_name="Alice A."))
    assert renamed.status_code == 302  # other changes still save


def test_the_console_never_deletes_the_last_admin(admin_client, admin_user):
    page = admin_client.get(f"/admin/accounts/user/{quote(admin_user.pk)}/delete/")
    assert page.status_code == 403
    from tests.factories import UserFactory

    second = UserFactory(username="second", role="admin")
    admin_client.post(
        "/admin/accounts/user/",
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [admin_user.pk, second.pk],
        },
    )
    left = type(admin_user).objects.filter(role="admin", is_active=True)
    assert left.count() == 1
