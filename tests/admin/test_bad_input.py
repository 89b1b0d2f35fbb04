"""Console forms answer bad input with the form and its errors, never a 500 or a bad schedule."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def lenient_console(admin_user) -> Client:
    client = Client(raise_request_exception=False)  # a 500 is a status here, not a crash
    client.force_login(admin_user)
    return client


def test_a_backup_schedule_with_a_bad_cron_is_refused(lenient_console):
    response = lenient_console.post(
        "/admin/backups/backupschedule/add/",
        {"name": "x", "cron": "every night", "enabled": "on", "retention_days": "1",
         "options": "{}"},
    )  # fmt: skip
    assert response.status_code == 200 and "cron" in str(response.content)


def test_export_schedules_cannot_be_added_in_the_admin(lenient_console):
    """They belong to a user and are created through the API (which checks them)."""
    response = lenient_console.post(
        "/admin/exports/exportschedule/add/",
        {"name": "x", "schedule": "not cron", "timezone": "UTC", "enabled": "on",
         "export_config": '{"export_type": "device_data", "format": "csv"}',
         "delivery": '{"method": "email"}'},
    )  # fmt: skip
    assert response.status_code == 403


def test_a_zero_polling_interval_is_refused(lenient_console):
    from system.models import SystemConfig

    config = SystemConfig.load()
    response = lenient_console.post(
        f"/admin/system/systemconfig/{quote(config.pk)}/change/",
        {"polling_interval": "0", "data_retention_days": "30", "allow_device_control": "on"},
    )
    assert response.status_code == 200
    config.refresh_from_db()
    assert config.polling_interval != 0


def test_an_export_schedule_edit_is_checked_like_the_api(lenient_console, admin_user):
    from exports.models import ExportSchedule
    from exports.schedules import schedule_create

    schedule = schedule_create(
        user=admin_user,
        data={"name": "Monthly", "schedule": "0 9 1 * *",
              "export_config": {"export_type": "device_data", "format": "csv",
                                "date_range": "last_month"}},
    )  # fmt: skip
    response = lenient_console.post(
        f"/admin/exports/exportschedule/{quote(schedule.pk)}/change/",
        {"name": "Monthly", "schedule": "not cron", "enabled": "on",
         "export_config": '{"export_type": "device_data", "format": "csv"}',
         "delivery": '{"method": "email"}'},
    )  # fmt: skip
    assert response.status_code == 200 and "cron" in response.content.decode()
    assert ExportSchedule.objects.get(pk=schedule.pk).schedule == "0 9 1 * *"
