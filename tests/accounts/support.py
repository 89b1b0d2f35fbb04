"""Helpers of the accounts tests: logging in through the API, a client with a bearer token."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.support import PASSWORD


def login(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(
        "/api/auth/login", {"username": username, "password": password}, format="json", **extra
    )


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
