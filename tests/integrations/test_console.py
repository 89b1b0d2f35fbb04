"""The operator console's MQTT settings: what the environment configures, and the choices."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.models import MqttSettings
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db
URL = "/admin/integrations/mqttsettings/1/change/"


@pytest.fixture
def console(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    MqttSettings.load()
    return client


def test_the_page_says_both_integrations_are_off_until_configured(console, settings):
    settings.MQTT_HOST, settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", "", []
    page = console.get(URL).content.decode()
    assert "off: set MQTT_HOST" in page and "off: set METRICS_TOKEN" in page
    assert not MqttSettings.load().control  # no switch entity unless an admin turns it on


def test_it_shows_the_broker_without_its_password_and_the_metrics_access(console, settings):
    settings.MQTT_HOST, settings.MQTT_PORT, settings.MQTT_PASSWORD = "127.0.0.9", 8883, "hunter2"
    settings.MQTT_TLS, settings.METRICS_TOKEN = True, "tok-secret"
    settings.METRICS_ALLOWED_IPS = ["127.0.8.0/24"]
    page = console.get(URL).content.decode()
    assert "127.0.0.9:8883 over TLS" in page and "hunter2" not in page
    assert "bearer token or addresses 127.0.8.0/24" in page and "tok-secret" not in page


def test_an_admin_turns_control_on_and_excludes_a_device(console):
    kettle, heater = DeviceFactory(alias="Kettle"), DeviceFactory(alias="Heater")
    form = {"discovery": "on", "control": "on", "control_excluded": [str(heater.pk)]}
    response = console.post(URL, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = MqttSettings.load()
    assert saved.control and list(saved.control_excluded.all()) == [heater]
    assert kettle not in saved.control_excluded.all()
