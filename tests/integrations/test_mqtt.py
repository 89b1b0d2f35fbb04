"""MQTT against a real Mosquitto on loopback: Home Assistant discovery, readings within a
second of the poll, a broker restart that loses and repeats nothing, and switch commands."""

from __future__ import annotations

import json
import secrets
import threading
import time

import paho.mqtt.client as paho
import pytest

from devices import services
from devices.models import Device, Reading
from integrations.models import MqttSettings
from integrations.mqtt import publisher as mqtt_publisher
from security.models import AuditLog
from tests.integrations.broker import Broker
from tests.live import wait_until
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# What Home Assistant's sensor platform accepts for the device classes we use:
# device_class -> (units, state classes) (homeassistant.components.sensor.const
# DEVICE_CLASS_UNITS and DEVICE_CLASS_STATE_CLASSES).
HA_SENSOR_RULES = {
    "power": ({"W", "kW", "mW", "MW", "GW", "TW", "BTU/h"}, {"measurement"}),
    "energy": ({"Wh", "kWh", "MWh", "mWh", "GWh", "TWh", "MJ", "GJ", "cal", "kcal", "Mcal",
                "Gcal"}, {"total", "total_increasing"}),
    "voltage": ({"V", "mV", "µV", "kV", "MV"}, {"measurement"}),
    "current": ({"A", "mA"}, {"measurement"}),
    "monetary": (None, {"total"}),  # any ISO 4217 currency
}  # fmt: skip


class Subscriber:
    """A paho client with a persistent session (QoS 1), collecting what arrives."""

    def __init__(self, port: int, *topics: str) -> None:
        self.messages: list[tuple[str, bytes, bool, float]] = []
        self.lock = threading.Lock()
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id="t-" + secrets.token_hex(4),
            clean_session=False,
        )  # fmt: skip
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=0.5)
        self.client.on_connect = lambda c, *_: [c.subscribe(t, qos=1) for t in topics]
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        with self.lock:
            item = (message.topic, message.payload, message.retain, time.monotonic())
            self.messages.append(item)

    def on(self, suffix: str) -> list[tuple[str, bytes, bool, float]]:
        with self.lock:
            return [m for m in self.messages if m[0].endswith(suffix)]

    def live(self, suffix: str) -> list[tuple[str, bytes, bool, float]]:
        """Publications as they happened, without the retained copy a (re)subscribe gets."""
        return [m for m in self.on(suffix) if not m[2]]

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def broker(tmp_path):
    with Broker(tmp_path) as running:
        yield running


@pytest.fixture
def mqtt(settings, broker):
    settings.MQTT_HOST, settings.MQTT_PORT = "127.0.0.1", broker.port
    settings.MQTT_BASE_TOPIC = "kasa_" + secrets.token_hex(3)
    settings.MQTT_DISCOVERY_PREFIX = "ha_" + secrets.token_hex(3)
    settings.MQTT_CLIENT_ID = "kasa-test-" + secrets.token_hex(3)
    yield settings
    mqtt_publisher.stop()


@pytest.fixture
def plug():
    (address,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", address, alias="Kettle")]) as sim:
        sim.emeter(address, power=61.5, voltage=230.0, current=0.27, total=3.0)
        sim.address = address
        yield sim


def _connected() -> mqtt_publisher.Publisher:
    p = mqtt_publisher.publisher()
    assert p.connected.wait(15), "the publisher did not connect"
    return p


def test_home_assistant_discovery_and_a_reading_within_a_second_of_the_poll(mqtt, broker, plug):
    device = services.device_add_manual(ip=plug.address)
    sub = Subscriber(broker.port, f"{mqtt.MQTT_BASE_TOPIC}/#", f"{mqtt.MQTT_DISCOVERY_PREFIX}/#")
    try:
        _connected()
        configs = wait_until(lambda: len(sub.on("/config")) >= 7 and sub.on("/config"),
                             timeout=10, what="discovery configs")  # fmt: skip
        services.device_poll_all()
        polled = time.monotonic()
        (state,) = wait_until(lambda: sub.on("/state"), timeout=5, what="the reading's state")
    finally:
        sub.close()

    assert state[3] - polled < 1.0
    body = json.loads(state[1])
    stored = Reading.objects.get(device=device)
    assert (body["power_w"], body["voltage"], body["energy_kwh"]) == (61.5, 230.0, 3.0)
    assert body["timestamp"].startswith(stored.timestamp.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["currency"] == "USD" and "cost_today" in body and "cost_period" in body
    late = Subscriber(broker.port, state[0])  # the state is retained: a newcomer gets it
    try:
        (kept,) = wait_until(lambda: late.on("/state"), timeout=5, what="the retained state")
    finally:
        late.close()
    assert kept[2] is True and json.loads(kept[1]) == body
    _check_discovery(configs, device, mqtt)


def _check_discovery(configs, device, mqtt) -> None:
    by_key = {topic.split("/")[-2]: json.loads(payload) for topic, payload, _, _ in configs
              if payload}  # fmt: skip
    assert set(by_key) == {
        "power",
        "energy",
        "voltage",
        "current",
        "cost_today",
        "cost_period",
        "online",
    }  # fmt: skip (no switch: control is off)
    unique_ids = [config["unique_id"] for config in by_key.values()]
    assert len(set(unique_ids)) == len(unique_ids)
    for key, config in by_key.items():
        block = config["device"]
        assert block["identifiers"] and block["name"] == "Kettle" and block["manufacturer"]
        assert config["state_topic"].startswith(mqtt.MQTT_BASE_TOPIC + "/device/")
        assert {"topic": f"{mqtt.MQTT_BASE_TOPIC}/status"} in config["availability"]
        if key == "online":
            assert config["device_class"] == "connectivity"
            continue
        units, state_classes = HA_SENSOR_RULES[config["device_class"]]
        assert config["state_class"] in state_classes, key
        assert units is None or config["unit_of_measurement"] in units, key
    assert (by_key["energy"]["state_class"], by_key["energy"]["unit_of_measurement"]) == (
        "total_increasing", "kWh")  # fmt: skip
    assert by_key["cost_period"]["unit_of_measurement"] == "USD"
    assert device.device_id.replace(":", "").lower() in by_key["power"]["unique_id"]


def test_a_broker_restart_loses_and_repeats_no_reading(mqtt, broker, plug):
    device = services.device_add_manual(ip=plug.address)
    sub = Subscriber(broker.port, f"{mqtt.MQTT_BASE_TOPIC}/device/+/state")
    try:
        p = _connected()
        services.device_poll_all()
        wait_until(lambda: sub.on("/state"), timeout=5, what="the first reading")
        broker.stop()
        for n in range(3):
            time.sleep(0.3)
            plug.emeter(plug.address, power=70.0 + n, total=3.1 + n / 10)
            services.device_poll_all()
        p.flush()
        assert len(p.outbox) >= 3  # waiting for the broker
        broker.start()
        wait_until(lambda: len(sub.live("/state")) >= 4, timeout=40, what="the queued readings")
        time.sleep(1.0)  # anything repeated would arrive by now
        received = [json.loads(m[1])["timestamp"] for m in sub.live("/state")]
    finally:
        sub.close()

    stored = list(Reading.objects.filter(device=device).order_by("timestamp"))
    assert len(stored) == 4
    assert len(received) == 4 and len(set(received)) == 4
    assert [json.loads(m[1])["power_w"] for m in sub.live("/state")] == [s.power_w for s in stored]
    assert p.outbox.dropped == 0


def test_switch_commands_are_audited_as_mqtt_and_refused_for_excluded_devices(mqtt, broker, plug):
    device = services.device_add_manual(ip=plug.address)
    config = MqttSettings.load()
    config.control = True
    config.save()
    sub = Subscriber(broker.port, f"{mqtt.MQTT_DISCOVERY_PREFIX}/switch/#")
    try:
        _connected()
        switch = wait_until(lambda: [m for m in sub.on("/config") if m[1]], timeout=10,
                            what="the switch config")  # fmt: skip
        command_topic = json.loads(switch[0][1])["command_topic"]
        sub.publish(command_topic, "OFF")
        wait_until(lambda: Device.objects.get(pk=device.pk).is_on is False, timeout=10,
                   what="the plug to be switched off")  # fmt: skip
        entry = wait_until(lambda: AuditLog.objects.filter(action="device.control").first(),
                           timeout=5, what="the audit entry")  # fmt: skip
        assert (entry.actor_username, entry.outcome, entry.actor_id) == ("mqtt", "success", None)

        config.control_excluded.add(device)
        sub.publish(command_topic, "ON")
        refused = wait_until(
            lambda: AuditLog.objects.filter(action="device.control", outcome="failure").first(),
            timeout=10, what="the refusal",
        )  # fmt: skip
    finally:
        sub.close()

    assert refused.actor_username == "mqtt" and "excluded" in refused.details["why"]
    assert Device.objects.get(pk=device.pk).is_on is False


def test_while_the_broker_is_away_a_full_outbox_drops_the_oldest_and_metrics_count_them(
    mqtt, broker, plug
):
    from django.test import Client

    mqtt.MQTT_QUEUE_SIZE, mqtt.METRICS_TOKEN = 3, "metrics-token-for-this-test"
    services.device_add_manual(ip=plug.address)
    broker.stop()
    before = _scrape_value(Client(), "kasa_mqtt_dropped_total")
    for _ in range(3):
        services.device_poll_all()

    p = mqtt_publisher.publisher()
    p.flush()
    assert len(p.outbox) == 3 and p.outbox.dropped > 0
    client = Client()
    assert _scrape_value(client, "kasa_mqtt_dropped_total") == before + p.outbox.dropped
    assert _scrape_value(client, "kasa_mqtt_queued") == 3


def _scrape_value(client, metric: str) -> float:
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-this-test")
    for line in text.content.decode().splitlines():
        if line.startswith(metric + " "):
            return float(line.split()[1])
    raise AssertionError(f"{metric} not in /metrics")


def test_turning_control_on_and_off_in_the_console_adds_and_removes_the_switch(mqtt, broker, plug):
    services.device_add_manual(ip=plug.address)
    sub = Subscriber(broker.port, f"{mqtt.MQTT_DISCOVERY_PREFIX}/switch/#")
    config = MqttSettings.load()
    try:
        p = _connected()
        services.device_poll_all()
        p.flush()
        assert not [m for m in sub.on("/config") if m[1]]  # off by default: no switch

        config.control = True
        config.save()
        services.device_poll_all()  # the worker sees the change at the next poll
        switch = wait_until(lambda: [m for m in sub.on("/config") if m[1]], timeout=10,
                            what="the switch config")  # fmt: skip
        config.control = False
        config.save()
        services.device_poll_all()
        wait_until(lambda: sub.on("/config")[-1][1] == b"", timeout=10,
                   what="the switch config removed")  # fmt: skip
    finally:
        sub.close()

    assert json.loads(switch[0][1])["command_topic"].endswith("/set")
