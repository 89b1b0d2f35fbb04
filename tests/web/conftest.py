from __future__ import annotations

import pytest

from tests.web.support import logged_in_client


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
