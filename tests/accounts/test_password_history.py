"""The password a user is created with counts as the first of their last 3 passwords, however
the user was created."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from system.models import SystemConfig
from tests.accounts.support import bearer
from tests.auth import access_token_for
from tests.support import assert_error

pytestmark = pytest.mark.django_db

P0, P1, P2, P3 = "Zer0!first-pass", "0ne!Second-pass", "Tw0!third-pass", "Thr3e!fourth-pass"
EMAIL = "dora@example.com"


def _by_admin_api(admin_api):
    body = {"username": "dora", "email": EMAIL, "password": P0, "role": "viewer"}
    assert admin_api.post("/api/users", body, format="json").status_code == 201


def _by_registration(admin_api):
    config = SystemConfig.load()
    config.allow_registration = True
    config.save()
    body = {"username": "dora", "email": EMAIL, "password": P0}
    assert (
        Client().post("/api/auth/register", body, content_type="application/json").status_code
        == 201
    )


def _by_first_run_setup(admin_api):
    User.objects.all().delete()
    body = {"username": "dora", "email": EMAIL, "password": P0}
    assert (
        Client().post("/api/auth/setup", body, content_type="application/json").status_code == 201
    )


def _by_createsuperuser(admin_api, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", P0)
    call_command("createsuperuser", interactive=False, username="dora", email=EMAIL, verbosity=0)


def _by_admin_form(admin_user, monkeypatch):
    client = Client()
    client.force_login(admin_user)
    form = {"username": "dora", "email": EMAIL, "role": "viewer", "password1": P0,
            "password2": P0, "usable_password": "true"}  # fmt: skip
    response = client.post("/admin/accounts/user/add/", form)
    assert response.status_code == 302, response.content[-2000:]


CREATED = {
    "by an admin (API)": lambda admin_user, admin_api, mp: _by_admin_api(admin_api),
    "by registration": lambda admin_user, admin_api, mp: _by_registration(admin_api),
    "by first-run setup": lambda admin_user, admin_api, mp: _by_first_run_setup(admin_api),
    "by createsuperuser": lambda admin_user, admin_api, mp: _by_createsuperuser(admin_api, mp),
    "by an admin (admin site)": lambda admin_user, admin_api, mp: _by_admin_form(admin_user, mp),
}


def _change(client, current, new):
    return client.post(
        "/api/auth/change-password",
        {"currentPassword": current, "newPassword": new},
        format="json",
    )


@pytest.mark.parametrize("create", CREATED.values(), ids=CREATED.keys())
def test_the_first_password_cannot_come_back_within_three(
    create, admin_user, admin_api, monkeypatch
):
    create(admin_user, admin_api, monkeypatch)
    client = bearer(access_token_for(User.objects.get(username="dora")))
    assert _change(client, P0, P1).status_code == 200
    assert _change(client, P1, P2).status_code == 200
    body = assert_error(_change(client, P2, P0), 400, "PASSWORD_WEAK")
    assert "last 3 passwords" in body["message"]
    assert _change(client, P2, P3).status_code == 200
    assert _change(client, P3, P0).status_code == 200  # four back: allowed again


def test_users_created_before_keep_their_current_password_in_history(admin_api):
    """Migration 0003: users whose creation left no history get their current password."""
    import importlib

    from django.apps import apps

    from accounts.models import PasswordHistory

    _by_admin_api(admin_api)
    dora = User.objects.get(username="dora")
    PasswordHistory.objects.filter(user=dora).delete()  # as such a user was before the fix
    unusable = User.objects.create_user("ghost", "ghost@example.com", password=None)
    migration = importlib.import_module("accounts.migrations.0003_first_password_in_history")
    migration.remember_current_passwords(apps, None)
    assert list(PasswordHistory.objects.filter(user=dora).values_list("password", flat=True)) == [
        dora.password
    ]
    assert not PasswordHistory.objects.filter(user=unusable).exists()
    client = bearer(access_token_for(dora))
    assert _change(client, P0, P1).status_code == 200
    assert _change(client, P1, P2).status_code == 200
    assert_error(_change(client, P2, P0), 400, "PASSWORD_WEAK")
