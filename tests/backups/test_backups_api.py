"""GET/POST/DELETE /api/backups*: admin only, spec shapes, names checked against traversal."""

from __future__ import annotations

import time

import pytest

from backups import services


def test_it_lists_backups_in_the_spec_shape(admin_api, sample_data):
    services.backup_create(include_logs=True)
    services.backup_create(kind="scheduled")

    response = admin_api.get("/api/backups")

    assert response.status_code == 200
    rows = response.json()
    assert [r["type"] for r in rows] == ["scheduled", "manual"]  # newest first
    row = rows[1]
    assert set(row) >= {"filename", "size", "created", "type", "includes"}
    assert row["filename"].startswith("kasa_backup_") and row["filename"].endswith(".7z")
    assert row["includes"][:2] == ["database", "config"]
    assert row["size"] > 0 and row["created"].endswith("Z")


def test_an_encrypted_backup_is_listed_without_its_secrets(admin_api, sample_data):
    services.backup_create(password="pw")

    (row,) = admin_api.get("/api/backups").json()

    assert row["encrypted"] is True and row["includes"] == []


def test_it_downloads_a_backup(admin_api, sample_data):
    path = services.backup_create()

    response = admin_api.get(f"/api/backups/{path.name}/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-7z-compressed"
    assert b"".join(response.streaming_content) == path.read_bytes()


def test_it_deletes_a_backup(admin_api, sample_data):
    path = services.backup_create()

    response = admin_api.delete(f"/api/backups/{path.name}")

    assert response.status_code == 200
    assert not path.exists()
    assert admin_api.delete(f"/api/backups/{path.name}").status_code == 404


@pytest.mark.parametrize(
    "name",
    ["..%2F..%2Fsettings.py", "kasa_backup_2024.7z", "other.7z", "kasa_backup_20240101_000000.zip",
     "kasa_backup_20240101_000000_x.7z%00.txt", "%2Fetc%2Fpasswd"],
)  # fmt: skip
def test_it_refuses_names_that_are_not_backup_names(admin_api, name):
    for response in (
        admin_api.get(f"/api/backups/{name}/download"),
        admin_api.delete(f"/api/backups/{name}"),
    ):
        assert response.status_code in (400, 404), response
        assert response["Content-Type"] == "application/json"


def test_a_symlink_in_the_backups_folder_is_not_served(admin_api, clean_backups_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (clean_backups_dir / "kasa_backup_20240101_000000.7z").symlink_to(secret)

    response = admin_api.get("/api/backups/kasa_backup_20240101_000000.7z/download")

    assert response.status_code == 400
    assert admin_api.get("/api/backups").json() == []


PROTECTED = [("get", "/api/backups"), ("post", "/api/backups/create"),
             ("get", "/api/backups/progress"), ("post", "/api/backups/restore"),
             ("get", "/api/backups/schedules"), ("post", "/api/backups/schedules")]  # fmt: skip


def test_only_admins_may_touch_backups(operator_api, viewer_api, api_client):
    for method, url in PROTECTED:
        for client, status in ((operator_api, 403), (viewer_api, 403), (api_client, 401)):
            response = getattr(client, method)(url)
            assert response.status_code == status, (method, url, response.json())
    assert operator_api.get("/api/backups").json()["required_permission"] == "system.backup"


def test_create_refuses_unknown_compression(admin_api):
    response = admin_api.post("/api/backups/create", {"compression": "ultra"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "compression"


def test_progress_is_idle_before_any_backup(admin_api):
    assert admin_api.get("/api/backups/progress").json()["status"] == "idle"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_creates_the_backup_and_reports_progress(
    admin_api, sample_data, live_worker, tmp_path
):
    from backups.restore import restore_validate

    response = admin_api.post(
        "/api/backups/create", {"type": "manual", "compression": "high", "password": "pw!"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "pending" and job["in_progress"] is True

    deadline = time.monotonic() + 60
    while True:
        progress = admin_api.get(f"/api/backups/progress?job_id={job['job_id']}").json()
        if not progress["in_progress"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert progress["status"] == "completed", progress
    assert progress["progress"] == 100
    listed = admin_api.get("/api/backups").json()
    assert [(r["filename"], r["encrypted"]) for r in listed] == [(progress["filename"], True)]
    # the password reached the worker sealed, and opens the archive
    restore_validate(services.backup_path(progress["filename"]), tmp_path, password="pw!")


def test_a_failed_backup_job_says_why_and_leaves_no_partial_file(admin_api, monkeypatch):
    from backups import database
    from backups.models import BackupJob

    def broken(dest):
        raise database.DatabaseError("pg_dump was not found on PATH")

    monkeypatch.setattr(database, "snapshot", broken)
    job = BackupJob.objects.create(type="manual")

    services.backup_job_run(job.pk)

    progress = admin_api.get("/api/backups/progress").json()
    assert progress["status"] == "failed" and "pg_dump" in progress["error"]
    assert list(services.backups_dir().iterdir()) == []


def test_a_backup_job_whose_process_dies_says_failed_not_pending(admin_api, monkeypatch):
    import os
    from concurrent.futures.process import BrokenProcessPool

    from backups import tasks
    from backups.models import BackupJob
    from kasamonitor import jobs

    job = BackupJob.objects.create(type="manual")
    # The job's own process dies (killed, out of memory) before it could mark the row.
    monkeypatch.setattr(
        tasks, "run_heavy", lambda task, fn, *args: jobs.in_own_process(os._exit, 9)
    )
    result = tasks.run_backup_job.apply(args=(job.pk,), throw=False)
    assert isinstance(result.result, BrokenProcessPool)  # the task failed, as in the worker

    progress = admin_api.get("/api/backups/progress").json()
    assert progress["status"] == "failed" and progress["in_progress"] is False
    assert "crashed" in progress["error"]


def _run_sealed(sealed: str):
    from backups import tasks
    from backups.models import BackupJob

    job = BackupJob.objects.create(type="manual")
    tasks.run_backup_job.apply(args=(job.pk, sealed), throw=False)
    return job


def _assert_failed_without_an_archive(admin_api, job):
    progress = admin_api.get(f"/api/backups/progress?job_id={job.pk}").json()
    assert progress["status"] == "failed", progress
    assert "password could not be read" in progress["error"]
    assert "no backup was written rather than an unencrypted one" in progress["error"]
    assert list(services.backups_dir().glob("*.7z")) == []


def test_a_password_sealed_more_than_a_day_ago_fails_the_job_instead_of_writing_in_clear(
    admin_api, sample_data
):
    from backups import sealing

    a_day_ago = int(time.time()) - 25 * 3600
    sealed = sealing._fernet().encrypt_at_time(b"pw!", a_day_ago).decode()

    _assert_failed_without_an_archive(admin_api, _run_sealed(sealed))


def test_a_password_sealed_under_another_secret_key_fails_the_job(admin_api, sample_data, settings):
    from backups import sealing

    sealed = sealing.seal("pw!")
    settings.SECRET_KEY = "the-key-after-a-rotation-" + "x" * 30

    _assert_failed_without_an_archive(admin_api, _run_sealed(sealed))
