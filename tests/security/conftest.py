from __future__ import annotations

import pytest


@pytest.fixture
def data_dir(settings, tmp_path):
    """A fresh $KASA_DATA_DIR per test, so exports/, backups/ and ssl/ start empty."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def outside_file(tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not yours")
    return secret


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """These tests never check passwords; Argon2 would cost ~0.7 s per fixture user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
