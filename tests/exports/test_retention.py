"""Retention: expired exports lose their files (per type), owners are warned a day before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exports import files, retention, services
from exports.models import ExportJob
from tests.exports.helpers import RANGE, create_and_run

pytestmark = pytest.mark.django_db


def test_retention_days_follow_the_export_type(operator_user, admin_user):
    device = create_and_run(operator_user, {"export_type": "device_data", "date_range": RANGE})
    audit = create_and_run(
        admin_user, {"export_type": "audit_logs", "format": "json", "date_range": "today"}
    )
    report = create_and_run(
        admin_user, {"export_type": "system_report", "format": "json", "date_range": RANGE}
    )
    assert (device.retention_days, audit.retention_days, report.retention_days) == (7, 30, 90)
    assert device.expires_at - device.completed_at == timedelta(days=7)


def test_cleanup_deletes_expired_files_but_keeps_system_reports(operator_user, admin_user):
    device = create_and_run(operator_user, {"export_type": "device_data", "date_range": RANGE})
    report = create_and_run(
        admin_user, {"export_type": "system_report", "format": "json", "date_range": RANGE}
    )
    keep = create_and_run(operator_user, {"export_type": "device_data", "date_range": RANGE})
    past = timezone.now() - timedelta(minutes=1)
    ExportJob.objects.filter(pk__in=[device.pk, report.pk]).update(expires_at=past)
    result = retention.cleanup_expired()
    assert result["expired"] == 2 and result["files_deleted"] == 1
    device.refresh_from_db()
    report.refresh_from_db()
    assert device.status == "expired" and not files.job_path(device).exists()
    assert report.status == "expired" and files.job_path(report).exists()  # auto_delete: false
    assert ExportJob.objects.get(pk=keep.pk).status == "completed"


def test_owners_are_mailed_once_before_their_exports_are_deleted(operator_user, mailoutbox):
    job = create_and_run(operator_user, {"export_type": "device_data", "date_range": RANGE})
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() + timedelta(hours=3))
    assert retention.cleanup_expired()["notified"] == 1
    assert retention.cleanup_expired()["notified"] == 0
    assert len(mailoutbox) == 1 and job.pk in mailoutbox[0].body
    assert mailoutbox[0].to == ["bob@example.com"]


def test_an_expired_export_answers_export_expired(operator_api, operator_user):
    job = create_and_run(operator_user, {"export_type": "device_data", "date_range": RANGE})
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(days=1))
    retention.cleanup_expired()
    response = operator_api.get(f"/api/exports/download/{job.pk}")
    assert response.status_code == 410 and response.json()["error_code"] == "EXPORT_EXPIRED"
    assert services.export_get(job.pk, user=operator_user).status == "expired"


def test_the_cleanup_and_other_jobs_are_scheduled_in_beat():
    from django_celery_beat.models import PeriodicTask

    from exports.periodic import setup_periodic_tasks

    setup_periodic_tasks()
    setup_periodic_tasks()  # idempotent
    tasks = {t.task: t for t in PeriodicTask.objects.filter(task__startswith="exports.")}
    assert set(tasks) == {"exports.tasks.cleanup_expired_exports", "exports.tasks.fail_stale_exports",
                          "exports.tasks.run_export_schedules"}  # fmt: skip
    cleanup = tasks["exports.tasks.cleanup_expired_exports"].crontab
    assert (cleanup.minute, cleanup.hour) == ("0", "2")
