"""Every form that checks a password has the API login's limits: the admin login, the admin's
password change and the API's password change share one per-IP limit and one back-off per
account, answer 429 with Retry-After past them, and audit each failure."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp as totp_code
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import totp
from security.models import AuditLog
from tests.support import api_client_for

pytestmark = pytest.mark.django_db


def _admin_login(client, password, remote="127.0.0.1", **extra):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "alice", "password": password, **extra},
        REMOTE_ADDR=remote,
    )


def test_the_admin_login_locks_like_the_api_login(admin_user, password):
    client = Client()
    with time_machine.travel(time.time(), tick=False):  # no rate-limit window ends midway
        answers = [_admin_login(client, f"Wrong-{n}!").status_code for n in range(30)]
        refused = _admin_login(client, password)  # the right password straight after
    assert answers[:5] == [200] * 5  # the form again, with an error
    assert set(answers[5:]) == {429}
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert b"Too many" in refused.content
    assert client.get("/admin/").status_code == 302  # not logged in


def test_an_account_backs_off_across_ips_and_across_the_admin_and_the_api(admin_user, password):
    client = Client()
    for n in range(5):
        assert _admin_login(client, "Wrong-1!", remote=f"127.0.1.{n}").status_code == 200
    refused = _admin_login(client, password, remote="127.0.2.1")
    assert refused.status_code == 429 and 25 <= int(refused["Retry-After"]) <= 30
    api = api_client_for().post(
        "/api/auth/login",
        {"username": "alice", "password": password},
        format="json",
        REMOTE_ADDR="127.0.2.2",
    )
    assert api.status_code == 429 and api.json()["error_code"] == "RATE_LIMIT_EXCEEDED"


def test_admin_login_failures_are_audited_with_the_address(admin_user):
    _admin_login(Client(), "Wrong-1!", remote="127.0.0.9")
    failed = AuditLog.objects.get(action="login_failed")  # one entry per failure
    assert failed.ip_address == "127.0.0.9" and failed.details["username"] == "alice"
    assert failed.details["via"] == "admin console"


def test_a_viewer_gets_the_same_answer_as_a_wrong_password(viewer_user, admin_user, password):
    viewer = Client().post("/admin/login/", {"username": "charlie", "password": password})
    wrong = Client().post("/admin/login/", {"username": "alice", "password": "Wrong-1!"})
    assert viewer.status_code == wrong.status_code == 200
    assert _errors(viewer) == _errors(wrong)
    assert AuditLog.objects.filter(action="login_failed").count() == 2


# -- 2FA admins ------------------------------------------------------------------------------


@pytest.fixture
def two_factor_admin(admin_user):
    totp.setup(admin_user)
    device = TOTPDevice.objects.get(user=admin_user)
    totp.enable(admin_user, f"{totp_code(device.bin_key):06d}")
    TOTPDevice.objects.update(last_t=-1)  # the setup code may be used again below
    return admin_user


def _errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def test_a_right_password_without_the_code_looks_like_a_wrong_password(two_factor_admin, password):
    without_code = _admin_login(Client(), password)
    wrong_password = _admin_login(Client(), "Wrong-1!")
    wrong_code = _admin_login(Client(), password, otp_token="000000")
    for response in (without_code, wrong_password, wrong_code):
        assert response.status_code == 200
        assert b"OTP" not in response.content and b"otp_device" not in response.content
    assert _errors(without_code) == _errors(wrong_password) == _errors(wrong_code)
    assert "two-factor code" in _errors(without_code)[0]
    assert AuditLog.objects.filter(action="login_failed").count() == 3


def test_the_code_on_the_login_form_lets_a_2fa_admin_in(two_factor_admin, password):
    device = TOTPDevice.objects.get(user=two_factor_admin)
    client = Client()
    response = _admin_login(client, password, otp_token=f"{totp_code(device.bin_key):06d}")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_backup_code_also_works_on_the_admin_form(admin_user, password):
    codes = totp.setup(admin_user).backup_codes
    device = TOTPDevice.objects.get(user=admin_user)
    totp.enable(admin_user, f"{totp_code(device.bin_key):06d}")
    client = Client()
    assert _admin_login(client, password, otp_token=codes[0]).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert _admin_login(Client(), password, otp_token=codes[0]).status_code == 200  # used up


# -- password changes ------------------------------------------------------------------------


def _change(client, old, remote="127.0.0.1"):
    new = "N3w!Passw0rd-x"
    return client.post(
        "/admin/password_change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
        REMOTE_ADDR=remote,
    )


def test_the_admin_password_change_backs_off_on_wrong_old_passwords(admin_user, password):
    client = Client()
    assert _admin_login(client, password).status_code == 302
    for n in range(5):
        assert _change(client, "Wrong-1!", remote=f"127.0.3.{n}").status_code == 200
    refused = _change(client, password, remote="127.0.4.1")
    assert refused.status_code == 429 and 25 <= int(refused["Retry-After"]) <= 30
    admin_user.refresh_from_db()
    assert admin_user.check_password(password)  # unchanged
    assert AuditLog.objects.filter(action="password_change", outcome="failure").count() == 5


def test_the_api_password_change_backs_off_on_wrong_current_passwords(admin_user, password):
    api = api_client_for(admin_user)
    body = {"currentPassword": "Wrong-1!", "newPassword": "N3w!Passw0rd-x"}
    for n in range(5):
        answer = api.post(
            "/api/auth/change-password", body, format="json", REMOTE_ADDR=f"127.0.5.{n}"
        )
        assert answer.status_code == 401
    right = {**body, "currentPassword": password}
    refused = api.post("/api/auth/change-password", right, format="json", REMOTE_ADDR="127.0.6.1")
    assert refused.status_code == 429 and refused.json()["error_code"] == "RATE_LIMIT_EXCEEDED"
