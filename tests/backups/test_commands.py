"""manage.py backup / restore: progress lines, results, and a non-zero exit on failure."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backups import services
from tests import live
from tests.backups.support import snapshot_of_data


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=live.BASE_DIR, env=live.process_env(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_backup_writes_an_archive_and_shows_progress(sample_data, tmp_path):
    out = StringIO()

    call_command("backup", output=tmp_path, include_logs=True, stdout=out)

    (archive,) = tmp_path.glob("kasa_backup_*.7z")
    lines = out.getvalue().splitlines()
    assert any("snapshot database" in line for line in lines)
    assert lines[-1].startswith(f"Backup written: {archive}")


def test_backup_to_a_named_file_with_a_password(sample_data, tmp_path, monkeypatch):
    from backups import archive

    target = tmp_path / "nightly.7z"
    call_command("backup", output=target, password="pw", stdout=StringIO())

    assert archive.is_encrypted(target)


@pytest.mark.django_db(transaction=True)
def test_restore_with_yes_brings_the_data_back(sample_data):
    from devices.models import Reading

    before = snapshot_of_data()
    path = services.backup_create()
    Reading.objects.all().delete()
    out = StringIO()

    call_command("restore", str(path), yes=True, stdout=out)

    assert snapshot_of_data() == before
    assert "safety" in out.getvalue().splitlines()[-1]


def test_restore_of_a_bad_archive_is_a_command_error(db, tmp_path):
    bad = tmp_path / "bad.7z"
    bad.write_bytes(b"not an archive")

    with pytest.raises(CommandError, match="not a 7z file"):
        call_command("restore", str(bad), yes=True, stdout=StringIO())


def test_restore_of_a_missing_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("restore", str(tmp_path / "missing.7z"), yes=True, stdout=StringIO())


def test_restore_without_yes_and_without_a_terminal_is_cancelled(sample_data, monkeypatch):
    path = services.backup_create()
    monkeypatch.setattr("sys.stdin", StringIO(""))

    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(path), stdout=StringIO())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)  # the child process writes to the same database
def test_a_refused_restore_exits_non_zero(tmp_path):
    bad = tmp_path / "kasa_backup_20240101_000000.7z"
    bad.write_bytes(b"garbage")

    refused = _run("restore", str(bad), "--yes")

    assert refused.returncode == 1
    assert "Restore refused" in refused.stderr and "not a 7z file" in refused.stderr
