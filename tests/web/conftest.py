from __future__ import annotations

import pytest
from django.test import Client

from accounts import sessions


def logged_in_client(user) -> Client:
    """A Django test client carrying a real access cookie for a new login session."""
    issued = sessions.session_start(user, ip="127.0.0.1", user_agent="pytest")
    client = Client()
    client.cookies["access_token"] = issued.access
    return client


@pytest.fixture
def admin_client(admin_user):
    return logged_in_client(admin_user)


@pytest.fixture
def operator_client(operator_user):
    return logged_in_client(operator_user)


@pytest.fixture
def viewer_client(viewer_user):
    return logged_in_client(viewer_user)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs ~1 s per user here; these tests only need users to exist."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
