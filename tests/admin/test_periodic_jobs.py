"""Periodic jobs are django-celery-beat rows operators see and edit in the console."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db

# What every install must run on a schedule from its first migrate.
DEFAULT_JOBS = {
    "devices.tasks.poll_devices": "poll",
    "devices.tasks.prune_readings": "readings cleanup",
    "security.tasks.prune_audit_log": "audit log cleanup",
    "exports.tasks.cleanup_expired_exports": "exports cleanup",
    "exports.tasks.run_export_schedules": "scheduled exports",
}


def test_the_periodic_task_list_shows_the_default_jobs(console):
    content = console.get("/admin/django_celery_beat/periodictask/").content.decode()
    for task, what in DEFAULT_JOBS.items():
        row = PeriodicTask.objects.filter(task=task, enabled=True).first()
        assert row is not None, f"no enabled {what} job after migrate"
        assert row.name in content, what


def test_a_backup_schedule_added_in_the_console_gets_its_periodic_task(console):
    response = console.post(
        "/admin/backups/backupschedule/add/",
        {"name": "Nightly", "cron": "15 2 * * *", "enabled": "on", "retention_days": "14",
         "keep_last": "3", "options": "{}"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    task = PeriodicTask.objects.get(task="backups.tasks.run_scheduled_backup")
    assert (task.crontab.minute, task.crontab.hour) == ("15", "2")
    assert task.name in console.get("/admin/django_celery_beat/periodictask/").content.decode()


def test_changing_the_polling_interval_moves_the_poll_job(console):
    from system.models import SystemConfig

    config = SystemConfig.load()
    response = console.post(
        f"/admin/system/systemconfig/{quote(config.pk)}/change/",
        {"polling_interval": "120", "data_retention_days": config.data_retention_days,
         "allow_device_control": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    poll = PeriodicTask.objects.get(task="devices.tasks.poll_devices")
    assert (poll.interval.every, poll.interval.period) == (120, "seconds")
