from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import services
from accounts.errors import SetupComplete
from accounts.models import User
from system.models import SystemConfig
from tests.support import assert_error

ADMIN = {
    "username": "root",
    "email": "root@example.com",
    "password": "Str0ng!Passw0rd",
    "full_name": "Root",
}
SIGNUP = {"username": "newbie", "email": "newbie@example.com", "password": "Str0ng!Passw0rd"}


@pytest.mark.django_db
def test_setup_creates_the_first_admin_once(api_client):
    assert api_client.get("/api/auth/setup-required").json() == {"setup_required": True}
    response = api_client.post("/api/auth/setup", ADMIN, format="json")
    assert response.status_code == 201 and response.json()["user"]["role"] == "admin"
    assert User.objects.get().is_superuser
    assert api_client.get("/api/auth/setup-required").json() == {"setup_required": False}
    again = api_client.post("/api/auth/setup", {**ADMIN, "username": "x"}, format="json")
    assert_error(again, 409, "SETUP_COMPLETE")


@pytest.mark.django_db
def test_setup_enforces_the_password_policy(api_client):
    weak = api_client.post("/api/auth/setup", {**ADMIN, "password": "admin123"}, format="json")
    assert_error(weak, 400, "PASSWORD_WEAK")
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_setups_create_one_admin():
    barrier, outcomes = threading.Barrier(2), []

    def attempt(n):
        barrier.wait()
        try:
            services.setup_first_admin(
                **{**ADMIN, "username": f"root{n}", "email": f"root{n}@example.com"}
            )
            outcomes.append("created")
        except SetupComplete:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created", "refused"]
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_registration_is_closed_by_default(api_client):
    response = api_client.post("/api/auth/register", SIGNUP, format="json")
    assert_error(response, 403, "REGISTRATION_DISABLED")


@pytest.mark.django_db
def test_open_registration_makes_a_logged_in_viewer(api_client):
    config = SystemConfig.load()
    config.allow_registration = True
    config.save()
    response = api_client.post("/api/auth/register", {**SIGNUP, "name": "New Bee"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["role"] == "viewer" and body["access_token"]
    assert User.objects.get(username="newbie").full_name == "New Bee"
    taken = api_client.post("/api/auth/register", SIGNUP, format="json")
    assert_error(taken, 409, "CONFLICT")
