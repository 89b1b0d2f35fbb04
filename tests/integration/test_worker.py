"""A task really travels through Redis to a running Celery worker and runs there."""

from __future__ import annotations

import pytest

from kasamonitor.tasks import ping

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_task_round_trips_through_a_real_worker(live_worker):
    # No result backend (nothing reads results): the worker's own log says it ran the task.
    from tests import live

    sent = ping.delay()
    done = f"Task kasamonitor.tasks.ping[{sent.id}] succeeded"
    live.wait_until(lambda: done in live_worker.log_path.read_text(), timeout=20, what=done)
    line = next(line for line in live_worker.log_path.read_text().splitlines() if done in line)
    assert line.endswith("'pong'")


def test_ready_sees_the_real_worker(live_worker, client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    assert response.json()["components"]["worker"]["instances"] >= 1
