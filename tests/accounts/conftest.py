from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """MD5 keeps the suite fast; test_passwords checks the real Argon2 setting separately."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery():
    """Run tasks in-process, so their mail lands in the locmem outbox."""
    from kasamonitor.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def login(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(
        "/api/auth/login", {"username": username, "password": password}, format="json", **extra
    )


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error_code"] == code, body
    return body
