"""GET /metrics: off by default, a bearer token or an allowed address, and what it shows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import DailyCost
from integrations import poll_stats
from integrations.middleware import RequestMetricsMiddleware
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-metrics-token-for-tests"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return TOKEN


def scrape(client: Client | None = None, **headers) -> tuple[int, str]:
    response = (client or Client()).get("/metrics", **headers)
    return response.status_code, response.content.decode()


def sample(text: str, metric: str, **labels) -> float | None:
    """The value of the first sample of `metric` whose labels include `labels`."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        if head.split("{")[0] != metric:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return None


def test_metrics_are_not_there_until_configured(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    status, _ = scrape(HTTP_AUTHORIZATION="Bearer anything")
    assert status == 404


def test_it_asks_for_the_token_and_refuses_a_wrong_one(token):
    assert scrape()[0] == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong")[0] == 401
    assert scrape(HTTP_AUTHORIZATION=f"Basic {TOKEN}")[0] == 401
    assert scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")[0] == 200


def test_other_methods_get_a_json_405(token):
    response = Client(enforce_csrf_checks=True).post(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 405 and response.json()["error_code"] == "METHOD_NOT_ALLOWED"
    assert response["Allow"] == "GET, HEAD"


def test_a_token_in_the_url_is_not_accepted(token):
    response = Client().get(f"/metrics?token={TOKEN}&access_token={TOKEN}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_allowed_address_needs_no_token(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["127.0.8.0/24", "127.0.0.1"]
    assert scrape(REMOTE_ADDR="127.0.0.1")[0] == 200
    assert scrape(REMOTE_ADDR="127.0.8.3")[0] == 200
    assert scrape(REMOTE_ADDR="127.0.9.9")[0] == 401


def test_it_shows_each_devices_figures_with_its_labels(token):
    now = timezone.now()
    strip = DeviceFactory(device_id="AA:BB:CC:00:00:01", alias="Desk strip", model="HS300",
                          device_type="strip")  # fmt: skip
    outlet = DeviceFactory(
        device_id="AA:BB:CC:00:00:01_1", alias="Monitor", model="HS300", device_type="outlet",
        parent=strip, current_power_w=42.5, voltage=231.0, current=0.19, energy_total_kwh=12.5,
        is_on=True, last_seen=now - timedelta(seconds=30),
    )  # fmt: skip
    DeviceFactory(device_id="AA:BB:CC:00:00:02", alias="Locked", status="offline",
                  offline_reason="auth_failed", is_on=False)  # fmt: skip
    DailyCost.objects.create(device=outlet, day=timezone.localdate(), kwh=1.0, cost=Decimal("0.25"))

    status, text = scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert status == 200
    labels = {"device_id": "AA:BB:CC:00:00:01_1", "name": "Monitor", "model": "HS300",
              "parent": "AA:BB:CC:00:00:01"}  # fmt: skip
    assert sample(text, "kasa_device_power_watts", **labels) == 42.5
    assert sample(text, "kasa_device_voltage_volts", **labels) == 231.0
    assert sample(text, "kasa_device_current_amperes", **labels) == 0.19
    assert sample(text, "kasa_device_energy_kwh_total", **labels) == 12.5
    assert sample(text, "kasa_device_on", **labels) == 1.0
    assert 29 <= sample(text, "kasa_device_last_seen_age_seconds", **labels) < 60
    assert sample(text, "kasa_device_cost_period", currency="USD", **labels) == 0.25
    assert sample(text, "kasa_device_cost_today", currency="USD", **labels) == 0.25
    assert sample(text, "kasa_device_state", state="online", **labels) == 1.0
    locked = {"device_id": "AA:BB:CC:00:00:02"}
    assert sample(text, "kasa_device_state", state="auth_failed", **locked) == 1.0
    assert sample(text, "kasa_device_state", state="online", **locked) == 0.0
    assert sample(text, "kasa_device_on", **locked) == 0.0


def test_it_shows_the_workers_poll_figures_and_the_jobs(token):
    before = poll_stats.read()
    poll_stats.record(seconds=0.4, polled=10, failed=2, readings=8)

    _, text = scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert sample(text, "kasa_poll_devices_polled_total") == before.polled_total + 10
    assert sample(text, "kasa_poll_devices_failed_total") == before.failed_total + 2
    assert sample(text, "kasa_readings_written_total") == before.readings_total + 8
    assert sample(text, "kasa_poll_last_cycle_devices", outcome="failed") == 2
    assert sample(text, "kasa_poll_cycle_duration_seconds_count") == before.cycles + 1
    assert sample(text, "kasa_poll_cycle_duration_seconds_bucket", le="0.5") >= 1
    assert sample(text, "kasa_jobs", kind="export", state="queued") == 0
    assert sample(text, "kasa_jobs", kind="backup", state="completed") == 0
    assert sample(text, "kasa_task_queue_depth") is not None


def test_request_latency_is_labelled_by_route_not_by_path(token):
    client = Client()
    client.get("/api/devices/123456", HTTP_AUTHORIZATION="Bearer nope")
    client.get("/no/such/path/at/all")
    _, text = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert sample(text, "kasa_http_request_duration_seconds_count",
                  route="api/devices/<str:key>", method="GET", status="4xx") >= 1  # fmt: skip
    assert sample(text, "kasa_http_request_duration_seconds_count", route="unmatched") >= 1
    assert "123456" not in text and "/no/such/path" not in text


def test_the_middleware_is_left_out_while_metrics_are_off(settings):
    from django.core.exceptions import MiddlewareNotUsed

    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    with pytest.raises(MiddlewareNotUsed):
        RequestMetricsMiddleware(lambda request: None)


def test_it_counts_the_live_sockets_of_the_process(token, monkeypatch):
    from devices.consumers import Sockets
    from integrations import metrics

    monkeypatch.setattr(metrics, "SOCKETS_EVERY", 0.05)
    monkeypatch.setattr(Sockets, "open", 3)
    Client().get("/api/devices")  # the middleware starts the watcher when metrics are on

    def sockets() -> float | None:
        return sample(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")[1], "kasa_websocket_clients")

    from tests.live import wait_until

    assert wait_until(lambda: sockets() == 3.0, timeout=6, what="the socket count")
