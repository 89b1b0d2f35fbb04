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


def _config_json(path, tmp_path) -> dict:
    import json

    from backups.restore import CONFIG_MEMBER, restore_validate

    return json.loads(restore_validate(path, tmp_path).member(CONFIG_MEMBER).read_text())


def test_the_configuration_holds_the_rate_plans_not_the_stored_costs(sample_data, tmp_path):
    """config.json is settings. The stored costs grow by a row per device and hour (87,600 for
    a year of ten plugs) and were serialized into it in one piece: ~250 MiB, which got the
    backup killed under issue 24's 400 MiB cap. They are data: in the database snapshot."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from billing.models import HourlyCost
    from billing.services import rate_plan_save

    rate_plan_save({"rate_type": "simple", "rate_per_kwh": "0.20"})
    hour = datetime(2024, 1, 15, 10, tzinfo=UTC)
    HourlyCost.objects.create(device=sample_data[0], hour=hour, kwh=1.0, cost=Decimal("0.2"))
    path = services.backup_create()

    config = _config_json(path, tmp_path)
    assert [row["fields"]["rate_type"] for row in config["billing.rateplan"]] == ["simple"]
    assert "billing.hourlycost" not in config and "billing.dailycost" not in config
    assert config["billing.gridintensity"] == []  # a setting too (none saved here)
    HourlyCost.objects.all().delete()
    backup_restore(path)  # the whole archive: the costs come back with the database
    assert list(HourlyCost.objects.values_list("hour", "cost")) == [(hour, Decimal("0.2"))]


def test_restoring_the_plans_prices_every_hour_again(sample_data):
    """The stored costs were priced by the plans a configuration restore replaces."""
    from billing.models import RepriceRequest
    from billing.selectors import EPOCH
    from billing.services import rate_plan_save

    rate_plan_save({"rate_type": "simple", "rate_per_kwh": "0.20"})
    RepriceRequest.objects.all().delete()  # priced, as after the pricing task's run
    path = services.backup_create()

    backup_restore(path, restore_database=False, restore_config=True)

    assert list(RepriceRequest.objects.values_list("start", flat=True)) == [EPOCH]


def test_a_configuration_restore_brings_the_grid_intensity_back(sample_data):
    """The grid's carbon intensity is a setting like the plans: restored with them, and the
    stored grams of CO2 worked out again."""
    from billing import selectors as billing_selectors
    from billing.models import GridIntensity, RepriceRequest
    from billing.selectors import EPOCH
    from billing.services import grid_intensity_save

    grid_intensity_save({"default_g_per_kwh": 300, "overrides": [
        {"start_hour": 17, "end_hour": 21, "g_per_kwh": 600}]})  # fmt: skip
    path = services.backup_create()
    GridIntensity.objects.all().delete()
    RepriceRequest.objects.all().delete()

    backup_restore(path, restore_database=False, restore_config=True)

    restored = billing_selectors.grid_intensity()
    assert not restored.is_default and restored.intensity.default_g_per_kwh == 300
    assert restored.intensity.table[0][18] == 600
    assert EPOCH in RepriceRequest.objects.values_list("start", flat=True)
