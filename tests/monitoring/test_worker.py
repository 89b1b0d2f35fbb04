"""End to end through a real Celery worker: an alert reaches a flaky webhook in the end."""

from __future__ import annotations

import time

import pytest

from .factories import ChannelFactory, DeviceFactory
from .peers import WebhookReceiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_delivers_an_alert_despite_two_failures(live_worker, operator_api):
    with WebhookReceiver(fail_first=2) as flaky:
        ChannelFactory(kind="webhook", target=flaky.url, min_severity="info")
        device = DeviceFactory(alias="Freezer")
        payload = {"device_id": device.pk, "severity": "critical", "message": "Freezer warm"}
        assert operator_api.post("/api/alerts/", payload, format="json").status_code == 201
        deadline = time.monotonic() + 30
        while not flaky.received and time.monotonic() < deadline:
            time.sleep(0.1)
    assert flaky.attempts == 3
    assert flaky.received[0]["alert"]["message"] == "Freezer warm"
