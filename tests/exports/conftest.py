import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made in almost every export test; Argon2 would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
