"""The system configuration keeps its row when it moves from the devices app to its own."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType as LiveContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from backups import configuration
from system.models import SystemConfig

BEFORE = [("devices", "0004_device_connection"), ("system", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    return executor.migrate(targets).apps


@pytest.fixture
def migrated_back():
    """Migrate to just before the move; always end on the latest migrations again."""
    try:
        yield _migrate(BEFORE)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_an_existing_configuration_row_carries_over_with_its_permissions(migrated_back):
    OldConfig = migrated_back.get_model("devices", "SystemConfig")
    OldConfig.objects.update_or_create(
        pk=1, defaults={"polling_interval": 45, "allow_registration": True}
    )
    ContentType = migrated_back.get_model("contenttypes", "ContentType")
    old_type = ContentType.objects.get_or_create(app_label="devices", model="systemconfig")[0]

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    config = SystemConfig.load()
    assert (config.polling_interval, config.allow_registration) == (45, True)
    assert SystemConfig.objects.count() == 1
    LiveContentType.objects.clear_cache()
    moved = LiveContentType.objects.get(pk=old_type.pk)
    assert (moved.app_label, moved.model) == ("system", "systemconfig")


@pytest.mark.django_db
def test_a_backup_written_before_the_move_restores_the_configuration(tmp_path):
    old = {"devices.systemconfig": [{
        "model": "devices.systemconfig", "pk": 1,
        "fields": {"polling_interval": 300, "data_retention_days": 30,
                   "allow_device_control": False, "require_https": False,
                   "allow_registration": True, "updated_at": "2026-11-01T10:00:00Z"},
    }]}  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(old))

    configuration.check(path)
    assert "system.systemconfig" in configuration.load(path)

    config = SystemConfig.load()
    assert (config.polling_interval, config.data_retention_days) == (300, 30)
    assert config.allow_device_control is False and config.allow_registration is True
