"""Scheduled exports: cron schedules CRUD, due runs create exports, results arrive by mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from django.utils import timezone

from exports import schedules, services
from exports.models import ExportJob, ExportSchedule
from tests.exports.helpers import make_readings, plug

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "name": "Monthly Device Report",
    "schedule": "0 9 1 * *",
    "export_config": {"export_type": "device_data", "format": "excel", "date_range": "last_month",
                      "devices": "all", "fields": ["timestamp", "device_name", "energy_kwh", "cost"]},
    "delivery": {"method": "email", "recipients": ["admin@example.com"], "subject": "Monthly Energy Report - {{date}}"},
}  # fmt: skip


def test_schedules_are_created_listed_updated_and_deleted(operator_api):
    created = operator_api.post("/api/exports/schedule", SCHEDULE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["schedule_id"].startswith("schedule_") and body["next_run_at"]
    assert operator_api.get("/api/exports/schedules").json()["total"] == 1
    path = f"/api/exports/schedules/{body['schedule_id']}"
    updated = operator_api.put(path, {"schedule": "30 6 * * 1", "enabled": False}, format="json")
    assert updated.status_code == 200 and updated.json()["schedule"] == "30 6 * * 1"
    assert updated.json()["enabled"] is False and updated.json()["name"] == "Monthly Device Report"
    assert operator_api.delete(path).status_code == 200
    assert operator_api.get(path).status_code == 404


@pytest.mark.parametrize(
    "change",
    [{"schedule": "every tuesday"}, {"export_config": {"export_type": "device_data", "date_range": "fortnight"}},
     {"delivery": {"method": "pigeon"}}, {"delivery": {"recipients": ["not-an-address"]}}, {"name": ""}],
)  # fmt: skip
def test_bad_schedules_are_refused(operator_api, change):
    response = operator_api.post("/api/exports/schedule", {**SCHEDULE, **change}, format="json")
    assert response.status_code == 400, response.json()


def test_other_users_schedules_are_invisible(operator_api, admin_user):
    other = schedules.schedule_create(user=admin_user, data=SCHEDULE)
    assert operator_api.get(f"/api/exports/schedules/{other.pk}").status_code == 404
    assert operator_api.get("/api/exports/schedules").json()["total"] == 0


def test_a_due_schedule_mails_its_export_as_an_attachment(operator_user, mailoutbox):
    lamp = plug(alias="Lamp")
    first_of_month = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    make_readings(lamp, start=first_of_month - timedelta(days=3), count=4)
    schedule = schedules.schedule_create(user=operator_user, data=SCHEDULE)
    ExportSchedule.objects.filter(pk=schedule.pk).update(
        next_run_at=timezone.now() - timedelta(minutes=1)
    )
    assert schedules.run_due_schedules() == 1
    assert schedules.run_due_schedules() == 0  # next run moved on
    job = ExportJob.objects.get(schedule=schedule)
    services.export_run(job.pk)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["admin@example.com"]
    assert mail.subject == f"Monthly Energy Report - {timezone.now().date().isoformat()}"
    name, content, mime = mail.attachments[0]
    assert name.endswith(".xlsx") and mime.startswith("application/vnd.openxmlformats")
    import io

    rows = list(
        openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)
    )
    assert len(rows) == 5 and rows[1][1] == "Lamp"
    assert ExportSchedule.objects.get(pk=schedule.pk).last_export_id == job.pk


def test_scheduled_exports_do_not_use_up_the_hourly_rate_limit(operator_user):
    ExportJob.objects.bulk_create([ExportJob(user=operator_user, export_type="device_data", format="csv",
                                             status="completed") for _ in range(10)])  # fmt: skip
    schedule = schedules.schedule_create(user=operator_user, data=SCHEDULE)
    ExportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
    assert schedules.run_due_schedules() == 1


def test_next_run_follows_the_cron_expression():
    after = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    assert schedules.schedule_next_run("0 9 1 * *", "UTC", after) == datetime(
        2024, 2, 1, 9, 0, tzinfo=UTC
    )
