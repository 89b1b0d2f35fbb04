"""The real Celery worker holds the MQTT connection: birth message when it starts, the
readings of the polls it runs, and `offline` when it stops."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys

import pytest
from django.conf import settings

from devices import services, tasks
from tests import live
from tests.integrations.broker import Broker
from tests.integrations.test_mqtt import Subscriber
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _worker_args(queue: str) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "kasamonitor", "worker", "--loglevel=INFO",
        "--pool=threads", "--concurrency=2", "--without-mingle", "--without-gossip",
        "-n", f"mqtt-{os.getpid()}@localhost", "-Q", queue,
    ]  # fmt: skip


def test_the_worker_publishes_its_polls_and_says_when_it_stops(tmp_path):
    base = "kasa_" + secrets.token_hex(3)
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-mqtt"
    (address,) = free_loopback_block(1)
    with Broker(tmp_path) as broker, Simulator([device_spec("hs110", address)]) as sim:
        sim.emeter(address, power=42.0, voltage=229.0, current=0.2, total=5.0)
        device = services.device_add_manual(ip=address)
        sub = Subscriber(broker.port, f"{base}/#")
        env = live.process_env(MQTT_HOST="127.0.0.1", MQTT_PORT=str(broker.port),
                               MQTT_BASE_TOPIC=base, MQTT_CLIENT_ID="kasa-" + base)  # fmt: skip
        try:
            with live.running(_worker_args(queue), env, tmp_path / "worker.log"):
                live.wait_until(lambda: _last(sub, f"{base}/status") == b"online", timeout=30,
                                what="the worker's birth message")  # fmt: skip
                tasks.poll_devices.apply_async(queue=queue)
                state = live.wait_until(lambda: sub.on("/state"), timeout=30,
                                        what="the polled state")[-1]  # fmt: skip
            live.wait_until(lambda: _last(sub, f"{base}/status") == b"offline", timeout=10,
                            what="offline after the worker stopped")  # fmt: skip
        finally:
            sub.close()

    slug = device.device_id.replace(":", "").lower()
    assert state[0] == f"{base}/device/{slug}/state"
    assert json.loads(state[1])["power_w"] == 42.0


def _last(sub: Subscriber, topic: str) -> bytes | None:
    found = [payload for name, payload, _, _ in sub.on(topic) if name == topic]
    return found[-1] if found else None


def test_a_worker_that_dies_unannounced_is_reported_offline_by_its_last_will(tmp_path):
    base = "kasa_" + secrets.token_hex(3)
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-mqtt-will"
    with Broker(tmp_path) as broker:
        sub = Subscriber(broker.port, f"{base}/status")
        env = live.process_env(MQTT_HOST="127.0.0.1", MQTT_PORT=str(broker.port),
                               MQTT_BASE_TOPIC=base, MQTT_CLIENT_ID="kasa-" + base,
                               MQTT_KEEPALIVE="2")  # fmt: skip
        try:
            with live.running(_worker_args(queue), env, tmp_path / "worker.log") as worker:
                live.wait_until(lambda: _last(sub, f"{base}/status") == b"online", timeout=30,
                                what="the worker's birth message")  # fmt: skip
                os.killpg(worker.pid, signal.SIGKILL)  # no goodbye: only the will can tell
                worker.wait()
                live.wait_until(lambda: _last(sub, f"{base}/status") == b"offline", timeout=15,
                                what="the last will")  # fmt: skip
        finally:
            sub.close()
