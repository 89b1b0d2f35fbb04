"""Data -> backup -> changes -> restore -> the original data is back (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest

from backups import archive, services
from backups.restore import backup_restore
from tests.backups.support import snapshot_of_data
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _change_everything(devices):
    from backups.models import BackupSchedule
    from devices.models import Reading
    from system.models import SystemConfig

    Reading.objects.filter(device=devices[0]).delete()
    devices[1].alias = "Renamed"
    devices[1].save()
    DeviceFactory(alias="Newcomer")
    SystemConfig.objects.filter(pk=1).update(polling_interval=300)
    BackupSchedule.objects.all().delete()


def test_it_brings_back_the_original_data(sample_data):
    before = snapshot_of_data()
    path = services.backup_create()
    _change_everything(sample_data)
    assert snapshot_of_data() != before

    result = backup_restore(path)

    assert snapshot_of_data() == before
    assert result["restored"] == ["database", "config"]
    assert (services.backups_dir() / result["safety_backup"]).is_file()


def test_the_safety_backup_holds_the_state_before_the_restore(sample_data):
    path = services.backup_create()
    _change_everything(sample_data)
    changed = snapshot_of_data()

    result = backup_restore(path)
    backup_restore(services.backup_path(result["safety_backup"]))

    assert snapshot_of_data() == changed


def test_it_restores_an_encrypted_archive_with_its_password(sample_data):
    before = snapshot_of_data()
    path = services.backup_create(password="s3cret!")
    assert archive.is_encrypted(path)
    _change_everything(sample_data)

    backup_restore(path, password="s3cret!")

    assert snapshot_of_data() == before


def test_config_only_restore_keeps_todays_readings(sample_data):
    from devices.models import Reading
    from system.models import SystemConfig

    path = services.backup_create()
    _change_everything(sample_data)
    readings_now = Reading.objects.count()

    backup_restore(path, restore_database=False, restore_config=True)

    assert Reading.objects.count() == readings_now
    assert SystemConfig.load().polling_interval == 45
    assert snapshot_of_data()["schedules"] == [("Nightly", "0 2 * * *")]


def test_data_only_restore_keeps_todays_settings(sample_data):
    from system.models import SystemConfig

    before = snapshot_of_data()
    path = services.backup_create()
    _change_everything(sample_data)

    backup_restore(path, restore_database=True, restore_config=False)

    assert snapshot_of_data()["readings"] == before["readings"]
    assert SystemConfig.load().polling_interval == 300


def test_restored_schedules_get_their_beat_tasks_back(sample_data):
    from django_celery_beat.models import PeriodicTask

    from backups.models import BackupSchedule

    path = services.backup_create()
    PeriodicTask.objects.all().delete()

    backup_restore(path)

    schedule = BackupSchedule.objects.get()
    assert schedule.periodic_task.crontab.hour == "2"


def test_restore_through_the_api_round_trips(sample_data, admin_api):
    before = snapshot_of_data()
    path = services.backup_create()
    _change_everything(sample_data)

    with open(path, "rb") as fh:
        response = admin_api.post("/api/backups/restore", {"file": fh}, format="multipart")

    assert response.status_code == 200, response.json()
    assert response.json()["restored"] == ["database", "config"]
    assert snapshot_of_data() == before
