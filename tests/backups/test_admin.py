"""The admin: schedules saved there get their beat task; "Back up now" queues a job."""

from __future__ import annotations

from django.test import Client
from django_celery_beat.models import PeriodicTask

from backups.models import BackupJob, BackupSchedule


def _admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_schedule_saved_in_the_admin_gets_its_beat_task(admin_user):
    client = _admin_client(admin_user)

    response = client.post(
        "/admin/backups/backupschedule/add/",
        {"name": "Weekly", "cron": "0 3 * * 0", "enabled": "on", "retention_days": 60,
         "keep_last": 3, "options": '{"compression": "high"}'},
    )  # fmt: skip

    assert response.status_code == 302, response.content[:2000]
    schedule = BackupSchedule.objects.get()
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).crontab.day_of_week == "0"


def test_the_admin_refuses_a_bad_cron(admin_user):
    client = _admin_client(admin_user)

    response = client.post(
        "/admin/backups/backupschedule/add/",
        {"name": "Bad", "cron": "sometimes", "retention_days": 1, "options": "{}"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert b"five-field cron" in response.content
    assert not BackupSchedule.objects.exists()


def test_back_up_now_queues_a_manual_job(admin_user, django_capture_on_commit_callbacks):
    client = _admin_client(admin_user)
    assert client.get("/admin/backups/backupjob/").status_code == 200

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/admin/backups/backupjob/backup-now/")

    assert response.status_code == 302
    job = BackupJob.objects.get()
    assert (job.type, job.status, job.created_by) == ("manual", "pending", admin_user)
    assert len(callbacks) == 1  # the worker is handed the job once the row is committed
