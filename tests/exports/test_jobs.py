"""Jobs run in the worker, report progress, and never stay 'running' when a worker dies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exports import services
from exports.models import ExportJob
from tests.exports.helpers import RANGE, make_readings, plug
from tests.live import wait_until

BODY = {"export_type": "device_data", "format": "csv", "date_range": RANGE}


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_beating_is_marked_failed_and_can_be_retried(operator_user):
    job = services.export_create(user=operator_user, data=BODY)
    ExportJob.objects.filter(pk=job.pk).update(status="running",
                                               heartbeat_at=timezone.now() - timedelta(minutes=10))  # fmt: skip
    fresh = services.export_create(user=operator_user, data=BODY)
    ExportJob.objects.filter(pk=fresh.pk).update(status="running", heartbeat_at=timezone.now())
    assert services.fail_stale_running() == 1
    job.refresh_from_db()
    assert job.status == "failed" and "worker stopped" in job.error
    assert ExportJob.objects.get(pk=fresh.pk).status == "running"
    services.export_retry(job, actor=operator_user)
    services.export_run(job.pk)
    assert ExportJob.objects.get(pk=job.pk).status == "completed"


@pytest.mark.django_db
def test_a_redelivered_task_for_a_running_job_does_nothing(operator_user):
    job = services.export_create(user=operator_user, data=BODY)
    ExportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now())
    services.export_run(job.pk)
    assert ExportJob.objects.get(pk=job.pk).status == "running"


@pytest.mark.django_db
def test_an_error_while_writing_ends_as_failed_with_the_reason(operator_user, monkeypatch):
    job = services.export_create(user=operator_user, data=BODY)

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("exports.writers.write", explode)
    services.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "disk full" and job.completed_at


@pytest.mark.django_db
def test_progress_is_written_while_rows_stream(operator_user, monkeypatch):
    make_readings(plug(), count=250, step_minutes=1)
    job = services.export_create(
        user=operator_user, data={**BODY, "performance_options": {"chunk_size": 100}}
    )
    seen = []
    real_update = ExportJob.objects.filter(pk=job.pk).update

    monkeypatch.setattr("exports.services.time.monotonic", iter(range(0, 10_000, 5)).__next__)
    original = services._Heartbeat.__call__

    def spy(self, done):
        seen.append(done)
        original(self, done)

    monkeypatch.setattr(services._Heartbeat, "__call__", spy)
    services.export_run(job.pk)
    assert seen == [100, 200]
    assert real_update is not None and ExportJob.objects.get(pk=job.pk).progress == 100


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_export_queued_by_the_api(live_worker, operator_user):
    from tests.support import api_client_for

    make_readings(plug(), count=5)
    client = api_client_for(operator_user)
    export_id = client.post("/api/exports/create", BODY, format="json").json()["export_id"]
    status = wait_until(lambda: (s := client.get(f"/api/exports/{export_id}").json())["status"]
                        in ("completed", "failed") and s, timeout=30, what="the export")  # fmt: skip
    assert status["status"] == "completed", status
    assert status["record_count"] == 5


@pytest.mark.django_db(transaction=True)
def test_an_export_survives_polls_writing_while_it_streams(operator_user, monkeypatch):
    """The worker's polls commit readings while a long export streams (issue 24 item 6).
    On SQLite the export's read cursor keeps a snapshot open on Django's connection; a write
    on that same connection (the progress heartbeat) then needs a newer snapshot, which
    SQLite refuses at once ("database is locked"): the export failed whenever a poll wrote
    during it. Here a "poll" commits on another connection before every heartbeat of a
    250-row export read 100 rows at a time: both heartbeats must be written and the export
    must complete with all 250 rows."""
    from django.db import DEFAULT_DB_ALIAS, connections

    device = plug()
    make_readings(device, count=250, step_minutes=1)
    job = services.export_create(
        user=operator_user, data={**BODY, "performance_options": {"chunk_size": 100}}
    )
    monkeypatch.setattr("exports.services.time.monotonic", iter(range(0, 10_000, 5)).__next__)
    poller = connections.create_connection(DEFAULT_DB_ALIAS)  # the worker's poll thread
    original, progress = services._Heartbeat.__call__, []

    def poll_then_beat(self, done):
        with poller.cursor() as cursor:  # autocommit: committed before the heartbeat
            cursor.execute(
                "UPDATE devices_device SET alias = %s WHERE id = %s", [f"polled {done}", device.pk]
            )
        original(self, done)
        with poller.cursor() as cursor:  # as the API sees it (not the export's own snapshot)
            cursor.execute("SELECT progress FROM exports_exportjob WHERE id = %s", [job.pk])
            progress.append(cursor.fetchone()[0])

    monkeypatch.setattr(services._Heartbeat, "__call__", poll_then_beat)
    try:
        services.export_run(job.pk)
    finally:
        poller.close()
    job.refresh_from_db()
    assert (job.status, job.error, job.record_count) == ("completed", "", 250)
    assert progress == [40, 80]  # 100 and 200 of the 250 estimated rows
