"""A task really travels through Redis to a running Celery worker and back."""

from __future__ import annotations

import pytest

from kasamonitor.tasks import ping

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_task_round_trips_through_a_real_worker(live_worker):
    result = ping.delay()
    assert result.get(timeout=20) == "pong"


def test_ready_sees_the_real_worker(live_worker, client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    assert response.json()["components"]["worker"]["instances"] >= 1
