from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote

pytestmark = pytest.mark.django_db


def test_every_monitoring_endpoint_is_in_the_openapi_schema(admin_api):
    response = admin_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/alerts/": {"get", "post"},
        "/api/alerts/{id}/": {"get", "delete"},
        "/api/alerts/{id}/acknowledge/": {"post"},
        "/api/alerts/acknowledge-all/": {"post"},
        "/api/alerts/summary/": {"get"},
        "/api/alerts/rules/": {"get", "post"},
        "/api/alerts/rules/{id}/": {"get", "put", "patch", "delete"},
        "/api/cameras/": {"get", "post"},
        "/api/cameras/{id}/stream/": {"get"},
        "/api/cameras/{id}/test/": {"post"},
        "/api/cameras/status/": {"get"},
        "/api/hosts/": {"get", "post"},
        "/api/hosts/{id}/check/": {"post"},
        "/api/hosts/status/": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


def test_periodic_tasks_exist_once_and_keep_admin_edits():
    from django_celery_beat.models import PeriodicTask

    from monitoring.periodic import setup_periodic_tasks as ensure_periodic_tasks

    names = {
        "monitoring.evaluate_rules",
        "monitoring.poll_cameras",
        "monitoring.check_hosts",
        "monitoring.daily_summary",
    }
    assert names <= set(PeriodicTask.objects.values_list("name", flat=True))
    summary = PeriodicTask.objects.get(name="monitoring.daily_summary")
    assert (summary.crontab.hour, summary.crontab.minute) == ("0", "0")
    summary.crontab.hour = "7"
    summary.crontab.save()
    ensure_periodic_tasks()
    assert PeriodicTask.objects.filter(name__in=names).count() == 4
    assert PeriodicTask.objects.get(name="monitoring.daily_summary").crontab.hour == "7"


def test_default_outage_rules_exist_for_all_subjects():
    from monitoring.models import AlertRule

    kinds = set(AlertRule.objects.filter(device=None).values_list("kind", flat=True))
    assert {"device_offline", "camera_unreachable", "host_unreachable"} <= kinds


def test_the_app_listens_to_the_devices_rollups_signal():
    from monitoring.apps import connect_device_signals

    assert "rollups_updated" in connect_device_signals()


@pytest.mark.parametrize(
    "page",
    ["alert", "alertrule", "notificationchannel", "camera", "networkhost"],
)
def test_admin_pages_render(admin_client, page):
    from .factories import AlertFactory, CameraFactory, ChannelFactory, HostFactory

    AlertFactory(), CameraFactory(), HostFactory(), ChannelFactory()
    assert admin_client.get(f"/admin/monitoring/{page}/").status_code == 200
    assert admin_client.get(f"/admin/monitoring/{page}/add/").status_code == 200


def test_the_admin_never_shows_a_camera_password(admin_client):
    from monitoring import cameras

    from .factories import CameraFactory

    camera = CameraFactory()
    cameras.camera_save(camera, actor=None, data={"password": "hunter2"})
    page = admin_client.get(f"/admin/monitoring/camera/{quote(camera.pk)}/change/").content.decode()
    assert "hunter2" not in page and camera.password_encrypted not in page
