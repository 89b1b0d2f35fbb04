"""Backup schedules: CRUD over the API, one beat task each, and retention of old backups."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from backups import schedules, services
from backups.models import BackupJob, BackupSchedule

DAILY = {
    "name": "Daily Backup",
    "cron": "0 2 * * *",
    "enabled": True,
    "retention_days": 30,
    "options": {"include_logs": True, "compression": "normal"},
}


def test_creating_a_schedule_registers_its_beat_task(admin_api):
    response = admin_api.post("/api/backups/schedules", DAILY, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["cron"] == "0 2 * * *" and body["next_run"]
    task = BackupSchedule.objects.get(pk=body["id"]).periodic_task
    assert task.task == "backups.tasks.run_scheduled_backup"
    assert json.loads(task.kwargs) == {"schedule_id": body["id"]}
    assert (task.crontab.minute, task.crontab.hour) == ("0", "2")
    assert admin_api.get("/api/backups/schedules").json()[0]["name"] == "Daily Backup"


def test_updating_a_schedule_moves_and_pauses_its_beat_task(admin_api):
    created = admin_api.post("/api/backups/schedules", DAILY, format="json").json()

    response = admin_api.put(
        f"/api/backups/schedules/{created['id']}",
        {"cron": "30 4 * * 0", "enabled": False},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["next_run"] is None
    task = PeriodicTask.objects.get(pk=BackupSchedule.objects.get().periodic_task_id)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "4", "0")
    assert task.enabled is False


def test_deleting_a_schedule_removes_its_beat_task(admin_api):
    created = admin_api.post("/api/backups/schedules", DAILY, format="json").json()

    response = admin_api.delete(f"/api/backups/schedules/{created['id']}")

    assert response.status_code == 200
    assert not PeriodicTask.objects.filter(task=schedules.TASK).exists()
    assert admin_api.delete(f"/api/backups/schedules/{created['id']}").status_code == 404


@pytest.mark.parametrize("cron", ["every day", "61 * * * *", "* * * *", ""])
def test_it_refuses_a_bad_cron_expression(admin_api, cron):
    response = admin_api.post("/api/backups/schedules", {**DAILY, "cron": cron}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "cron"
    assert not BackupSchedule.objects.exists()


def test_sync_is_idempotent_and_drops_orphan_tasks(db):
    schedule = schedules.schedule_save(BackupSchedule(name="n", cron="0 3 * * *"))
    schedule.delete()  # behind the service's back: its beat task stays for now

    schedules.schedules_sync_all()
    schedules.schedules_sync_all()

    assert not PeriodicTask.objects.filter(task=schedules.TASK).exists()


def _aged_backup(kind: str, days_old: int, schedule_id: int | None) -> str:
    moment = timezone.now() - timedelta(days=days_old)
    suffix = "" if kind == "manual" else f"_{kind}"
    name = f"kasa_backup_{moment:%Y%m%d_%H%M%S}{suffix}.7z"
    extra = {"schedule_id": schedule_id} if schedule_id else {}
    services.backup_create(kind=kind, output=services.backups_dir() / name, extra=extra)
    return name


def test_retention_removes_only_this_schedules_old_backups(db):
    mine = schedules.schedule_save(
        BackupSchedule(name="mine", cron="0 2 * * *", retention_days=7, keep_last=1)
    )
    other = schedules.schedule_save(BackupSchedule(name="other", cron="0 3 * * *"))
    old_mine = _aged_backup("scheduled", 10, mine.pk)
    new_mine = _aged_backup("scheduled", 2, mine.pk)
    old_other = _aged_backup("scheduled", 11, other.pk)
    old_manual = _aged_backup("manual", 400, None)

    removed = schedules.retention_apply(mine)

    assert removed == [old_mine]
    left = {row["filename"] for row in services.backup_list()}
    assert left == {new_mine, old_other, old_manual}


def test_a_scheduled_run_backs_up_and_applies_retention(db):
    schedule = schedules.schedule_save(
        BackupSchedule(
            name="s",
            cron="0 2 * * *",
            retention_days=1,
            keep_last=1,
            options={"compression": "none"},
        )
    )
    expired = _aged_backup("scheduled", 5, schedule.pk)

    job = schedules.schedule_run(schedule.pk)

    assert job.status == BackupJob.Status.COMPLETED
    assert job.filename.endswith("_scheduled.7z")
    assert [r["filename"] for r in services.backup_list()] == [job.filename]
    assert expired not in job.filename
    assert BackupSchedule.objects.get().last_run_at is not None


def test_a_scheduled_run_whose_process_dies_leaves_its_job_failed_not_running(db, monkeypatch):
    import os
    from concurrent.futures.process import BrokenProcessPool

    from backups import tasks
    from kasamonitor import jobs

    schedule = schedules.schedule_save(BackupSchedule(name="s", cron="0 2 * * *"))
    other = schedules.schedule_save(BackupSchedule(name="t", cron="0 3 * * *"))
    # The run had created its job and started archiving when its process was killed.
    running = BackupJob.objects.create(type="scheduled", schedule=schedule, status="running")
    elsewhere = BackupJob.objects.create(type="scheduled", schedule=other, status="running")
    monkeypatch.setattr(
        tasks, "run_heavy", lambda task, fn, *args: jobs.in_own_process(os._exit, 9)
    )
    result = tasks.run_scheduled_backup.apply(args=(schedule.pk,), throw=False)
    assert isinstance(result.result, BrokenProcessPool)  # the task failed, as in the worker

    running.refresh_from_db()
    elsewhere.refresh_from_db()
    assert running.status == BackupJob.Status.FAILED and "crashed" in running.error
    assert running.finished_at is not None
    assert elsewhere.status == BackupJob.Status.RUNNING  # another schedule's run goes on


def test_the_admin_form_refuses_a_bad_schedule(db):
    from django.core.exceptions import ValidationError

    schedule = BackupSchedule(name="x", cron="0 2 * *", options={"compression": "zip"})

    with pytest.raises(ValidationError) as error:
        schedule.full_clean(exclude=["periodic_task"])

    assert set(error.value.message_dict) >= {"cron", "options"}


def _failing_disk(monkeypatch):
    """Every backup from now on fails as on a full disk, before an archive exists."""
    import errno

    from backups import database

    def full(dest):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(database, "snapshot", full)


def test_failed_runs_never_delete_the_good_backups(db, monkeypatch):
    schedule = schedules.schedule_save(
        BackupSchedule(name="s", cron="0 2 * * *", retention_days=7, keep_last=1)
    )
    good = [_aged_backup("scheduled", days, schedule.pk) for days in (9, 8)]
    _failing_disk(monkeypatch)

    job = schedules.schedule_run(schedule.pk)

    assert job.status == BackupJob.Status.FAILED and "No space left" in job.error
    assert {row["filename"] for row in services.backup_list()} == set(good)


def test_the_newest_good_backups_are_kept_whatever_their_age(db):
    schedule = schedules.schedule_save(
        BackupSchedule(name="s", cron="0 2 * * *", retention_days=7)  # keep_last: 3
    )
    aged = [_aged_backup("scheduled", days, schedule.pk) for days in (40, 30, 20, 10)]

    removed = schedules.retention_apply(schedule)

    assert removed == [aged[0]]
    assert {row["filename"] for row in services.backup_list()} == set(aged[1:])


def test_keep_last_is_part_of_the_schedule_api_and_at_least_one(admin_api):
    created = admin_api.post("/api/backups/schedules", DAILY, format="json").json()
    assert created["keep_last"] == 3
    url = f"/api/backups/schedules/{created['id']}"
    assert admin_api.put(url, {"keep_last": 7}, format="json").json()["keep_last"] == 7
    refused = admin_api.put(url, {"keep_last": 0}, format="json")
    assert refused.status_code == 400 and "keep_last" in refused.json()["errors"]
