"""System configuration (admin), the poll schedule that follows it, and network settings."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from devices import periodic as schedules

pytestmark = pytest.mark.django_db


def test_admins_read_the_defaults(admin_api):
    body = admin_api.get("/api/system/config").json()
    assert body["polling_interval"] == 60 and body["data_retention_days"] == 365
    assert body["allow_device_control"] is True and body["allow_registration"] is False


def test_operators_may_not_read_or_change_it(operator_api):
    assert operator_api.get("/api/system/config").status_code == 403
    assert (
        operator_api.put("/api/system/config", {"polling_interval": 30}, format="json").status_code
        == 403
    )


def test_changing_the_polling_interval_reschedules_the_poll_job(admin_api):
    schedules.setup_periodic_tasks()
    response = admin_api.put(
        "/api/system/config",
        {"polling_interval": 15, "require_https": True},
        format="json",
        secure=True,  # require_https is switched on over HTTPS only
    )
    assert response.status_code == 200, response.json()
    assert response.json()["polling_interval"] == 15 and response.json()["require_https"]
    task = PeriodicTask.objects.get(name=schedules.POLL)
    assert task.interval.every == 15 and task.interval.period == "seconds"


@pytest.mark.parametrize(
    "body",
    [{"polling_interval": 4}, {"polling_interval": "soon"}, {"data_retention_days": 0},
     {"allow_device_control": "maybe"}],
)  # fmt: skip
def test_invalid_values_are_400(admin_api, body):
    response = admin_api.put("/api/system/config", body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == next(iter(body))


def test_the_default_schedules_exist_after_migrate():
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert {schedules.POLL, schedules.REDISCOVER, schedules.PRUNE} <= names


def test_network_settings(viewer_api, settings):
    settings.KASA_DISCOVERY_TARGET = ["127.255.255.255"]
    body = viewer_api.get("/api/settings/network").json()
    assert body["discovery_enabled"] is True and body["manual_devices_enabled"] is True
    assert body["discovery_targets"] == ["127.255.255.255"]
    assert {"network_mode", "host_ip"} <= set(body)
