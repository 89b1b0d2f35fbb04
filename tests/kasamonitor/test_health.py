"""Health endpoints: success and failure shapes."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

from kasamonitor import heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_heartbeat():
    """A worker heartbeat as a running worker writes it (the real worker is in tests/integration)."""
    client = heartbeat.redis_client()
    key = f"{settings.WORKER_HEARTBEAT_KEY}:test-host-1"
    client.set(key, json.dumps({"at": time.time()}), ex=30)
    yield
    client.delete(key)


def test_health_reports_status_and_version(client):
    body = client.get("/health").json()
    assert body["status"] == "healthy" and body["version"] == settings.VERSION


def test_liveness_needs_nothing(client):
    assert client.get("/health/live").json()["status"] == "alive"


def test_ready_when_database_redis_and_worker_are_up(client, worker_heartbeat):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert {c["status"] for c in body["components"].values()} == {"healthy"}


def test_not_ready_without_a_worker_names_it(client):
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["components"]["worker"]["error"] == "no heartbeat"
    assert body["error_code"] == "NOT_READY"


def test_not_ready_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"redis", "worker"}


def test_api_health_is_public(client):
    body = client.get("/api/health").json()
    assert body["status"] == "healthy" and "timestamp" in body


def test_detailed_health_for_admins(admin_api, worker_heartbeat):
    from tests.factories import DeviceFactory

    DeviceFactory.create_batch(2)
    body = admin_api.get("/api/health/detailed").json()
    db = body["components"]["database"]
    assert db["status"] == "healthy" and db["details"]["device_count"] == 2
    assert db["details"]["reading_count"] == 0 and db["details"]["size_mb"] >= 0
    assert body["components"]["worker"]["status"] == "healthy"
    assert body["components"]["scheduler"]["status"] == "unhealthy"
    assert body["components"]["device_manager"]["connected_devices"] == 2
    assert body["uptime_seconds"] >= 0 and body["memory_usage_mb"] > 0
    assert body["status"] == "degraded"


def test_detailed_health_refuses_non_admins(viewer_api, operator_api, api_client):
    assert viewer_api.get("/api/health/detailed").status_code == 403
    assert operator_api.get("/api/health/detailed").status_code == 403
    assert api_client.get("/api/health/detailed").status_code == 401


def test_system_status(viewer_api):
    body = viewer_api.get("/api/system/status").json()
    assert body["version"] == settings.VERSION
    assert body["devices_connected"] == 0 and body["last_poll"] is None
    assert body["database_size_mb"] >= 0
