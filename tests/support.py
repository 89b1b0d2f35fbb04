"""Helpers every app's tests import (fixtures stay in the conftest files)."""

from __future__ import annotations

from rest_framework.test import APIClient

PASSWORD = "Str0ng!Passw0rd"

# Every /api and /health error carries these keys (DESIGN.md's union shape).
ERROR_SHAPE = {"detail", "message", "error", "error_code", "code", "status_code", "timestamp"}


def api_client_for(user=None) -> APIClient:
    """Return an APIClient sending a real access token for `user` (anonymous when None)."""
    from tests.auth import access_token_for

    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    """Assert a JSON error in the project's shape with this status and code; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= ERROR_SHAPE, body
    assert body["status_code"] == status and body["error_code"] == code == body["code"], body
    assert body["timestamp"].endswith("Z")
    return body
