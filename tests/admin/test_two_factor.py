"""Admins who set up 2FA give their authenticator code to enter the console (the device
field django-otp's form used is ignored: the code is tried against the user's own devices)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(admin_user):
    return TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)


def _login(client, password, **otp):
    return client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": password, **otp}
    )


def test_the_password_alone_is_not_enough(phone, password):
    client = Client()
    response = _login(client, password)
    assert response.status_code == 200
    # The same answer as a wrong password (test_login_limits.py compares them).
    assert "two-factor code" in str(response.context["form"].errors)
    assert client.get("/admin/").status_code == 302  # back to the login page


def test_a_wrong_code_is_refused(phone, password):
    client = Client()
    wrong = f"{(totp(phone.bin_key) + 1) % 1_000_000:06d}"
    response = _login(client, password, otp_device=phone.persistent_id, otp_token=wrong)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_the_right_code_lets_the_admin_in(phone, password):
    client = Client()
    code = f"{totp(phone.bin_key):06d}"
    response = _login(client, password, otp_device=phone.persistent_id, otp_token=code)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_session_without_the_code_cannot_enter(phone, admin_user):
    # e.g. a session cookie from the web UI's password login: not OTP-verified.
    client = Client()
    client.force_login(admin_user)
    response = client.get("/admin/devices/device/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_admin_without_2fa_enters_with_the_password(admin_user, password):
    client = Client()
    assert _login(client, password).status_code == 302
    assert client.get("/admin/").status_code == 200
