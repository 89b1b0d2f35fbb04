"""Restore opens only the members it knows by name: a manifest whose database entry points
at an absolute or ../ path (a crafted file elsewhere on the server) is refused through the
API and `manage.py restore`, and the live data stays as it was."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from django.conf import settings
from django.db import connection

from backups import services
from tests.backups.archives import members_of, pack, unpack
from tests.backups.support import snapshot_of_data

from .test_commands import _run
from .test_refused_archives import _assert_refused

pytestmark = pytest.mark.django_db(transaction=True)


def _crafted(tmp_path, database_file: str, evil):
    """A good archive whose manifest names `database_file` as its snapshot, and a doctored
    copy of that snapshot at `evil`, where the path leads during a restore."""
    good = services.backup_create()
    root = tmp_path / "unpacked"
    manifest = unpack(good, root)
    shutil.copy(root / manifest["database"]["file"], evil)
    if connection.vendor == "sqlite":  # (a pg_dump copy is loaded just the same)
        with sqlite3.connect(evil) as db:
            db.execute("UPDATE devices_device SET alias = 'Pwned'")
    manifest["database"]["file"] = database_file
    good.unlink()
    return pack(tmp_path / "crafted.7z", manifest, members_of(root))


# Restore extracts into $KASA_DATA_DIR/backups/.restore-*/archive/, so three ../ reach the
# data dir.
PATHS = ["<absolute>", "../../../evil.sqlite3", "database/../../../../evil.sqlite3"]


@pytest.fixture
def evil_path(tmp_path, request):
    path = (
        tmp_path / "evil.sqlite3"
        if request.param == "<absolute>"
        else settings.DATA_DIR / "evil.sqlite3"
    )
    yield request.param.replace("<absolute>", str(path)), path
    path.unlink(missing_ok=True)


@pytest.mark.parametrize("evil_path", PATHS, indirect=True)
def test_the_api_refuses_a_manifest_naming_another_database_file(
    admin_api, sample_data, tmp_path, evil_path
):
    crafted = _crafted(tmp_path, *evil_path)

    body = _assert_refused(admin_api, crafted, says="database file")

    assert body["status_code"] == 400 and "refused" in body["detail"]
    assert "Pwned" not in str(snapshot_of_data())


def test_manage_py_restore_refuses_it_too(sample_data, tmp_path):
    before = snapshot_of_data()
    crafted = _crafted(tmp_path, str(tmp_path / "evil.sqlite3"), tmp_path / "evil.sqlite3")

    result = _run("restore", str(crafted), "--yes")

    assert result.returncode != 0, result.stdout
    assert "Restore refused" in result.stderr and "database file" in result.stderr
    assert snapshot_of_data() == before


def test_an_archive_without_its_configuration_member_is_refused(admin_api, sample_data, tmp_path):
    good = services.backup_create()
    root = tmp_path / "unpacked"
    manifest = unpack(good, root)
    del manifest["files"]["config/config.json"]
    members = {k: v for k, v in members_of(root).items() if k != "config/config.json"}
    good.unlink()

    _assert_refused(admin_api, pack(tmp_path / "no-config.7z", manifest, members), says="no config")
