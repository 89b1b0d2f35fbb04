"""Every /api and /health error answers with one JSON shape (DESIGN.md)."""

from __future__ import annotations

import pytest

from tests.support import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.kasamonitor.error_urls")]


def test_unknown_api_path_is_a_json_404(client):
    assert_error(client.get("/api/no-such-thing"), 404, "NOT_FOUND")


def test_unknown_health_path_is_a_json_404(client):
    assert_error(client.get("/health/nope"), 404, "NOT_FOUND")


def test_validation_error_names_the_field(client):
    body = assert_error(
        client.post("/api/test/echo", {"watts": -3}, content_type="application/json"),
        400,
        "VALIDATION_ERROR",
    )
    assert body["field"] == "watts"
    assert "watts" in body["errors"]


def test_malformed_json_is_a_400(client):
    body = assert_error(
        client.post("/api/test/echo", "{not json", content_type="application/json"),
        400,
        "MALFORMED_JSON",
    )
    assert "JSON" in body["message"]


def test_unsupported_media_type_is_a_415(client):
    assert_error(
        client.post("/api/test/echo", "<x/>", content_type="application/xml"),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )


def test_oversize_body_is_a_413(client):
    body = "[" + "1," * (1024 * 1024 + 10) + "1]"
    assert_error(
        client.post("/api/test/echo", body, content_type="application/json"),
        413,
        "PAYLOAD_TOO_LARGE",
    )


def test_wrong_method_is_a_405(client):
    assert_error(client.delete("/api/test/echo"), 405, "METHOD_NOT_ALLOWED")


def test_missing_credentials_is_a_401_with_redirect(client):
    body = assert_error(client.get("/api/system/status"), 401, "AUTH_REQUIRED")
    assert body["redirect_to"] == "/login"


def test_garbage_token_is_a_401_invalid_token(client):
    response = client.get("/api/system/status", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_error(response, 401, "INVALID_TOKEN")


def test_missing_permission_is_a_403_naming_it(viewer_api):
    body = assert_error(viewer_api.get("/api/health/detailed"), 403, "INSUFFICIENT_PERMISSIONS")
    assert body["required_permission"] == "ADMIN_ACCESS"
    assert body["error"] == "authorization_failed"


def test_domain_errors_carry_their_code_and_context(client):
    body = assert_error(client.get("/api/test/domain-error"), 409, "DEVICE_ALREADY_KNOWN")
    assert body["device_ip"] == "127.0.0.5"
    assert body["message"] == "That device is already known."


def test_an_unexpected_error_is_a_json_500(client):
    client.raise_request_exception = False
    body = assert_error(client.get("/api/test/crash"), 500, "SERVER_ERROR")
    assert "boom" not in str(body)  # internals stay in the log


def test_ui_404_is_a_friendly_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "couldn't find that page" in response.content.decode()


def test_every_response_has_a_request_id(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert len(client.get("/health")["X-Request-ID"]) == 32
