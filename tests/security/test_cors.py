"""CORS: only CORS_ALLOWED_ORIGINS, with credentials; refusals are logged and audited."""

from __future__ import annotations

import pytest

from security.models import AuditLog

ALLOWED = "https://app.example.com"
EVIL = "https://evil.example.net"


@pytest.fixture(autouse=True)
def origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def test_an_allowed_origin_may_read_answers_with_credentials(client, db):
    response = client.get("/api/health", headers={"Origin": ALLOWED})
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "X-RateLimit-Remaining" in response["Access-Control-Expose-Headers"]
    assert not AuditLog.objects.filter(action="security.cors_refused").exists()


def test_an_allowed_preflight_is_answered(client, db):
    response = client.options("/api/devices", headers={
        "Origin": ALLOWED, "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_a_refused_origin_gets_no_cors_headers_and_is_audited_once(client, db, caplog):
    for _ in range(3):
        response = client.get("/api/health", headers={"Origin": EVIL})
        assert "Access-Control-Allow-Origin" not in response
    entries = AuditLog.objects.filter(action="security.cors_refused")
    assert entries.count() == 1  # logged every time, audited once an hour per origin
    assert entries.get().details["origin"] == EVIL and entries.get().outcome == "failure"
    assert sum("cors origin refused" in r.message for r in caplog.records) == 3


def test_a_refused_preflight_is_audited(client, db):
    response = client.options("/api/devices", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "DELETE"})  # fmt: skip
    assert "Access-Control-Allow-Origin" not in response
    assert AuditLog.objects.get(action="security.cors_refused").details["method"] == "OPTIONS"


def test_same_origin_requests_are_not_refusals(client, db):
    client.post("/api/health", headers={"Origin": "http://testserver"})
    assert not AuditLog.objects.filter(action="security.cors_refused").exists()
