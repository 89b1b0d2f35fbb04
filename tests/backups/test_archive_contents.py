"""What an archive holds: manifest, database snapshot, configuration, optional logs/exports."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from django.conf import settings

from backups import archive, services
from backups.restore import restore_validate


@pytest.mark.parametrize("compression", list(archive.COMPRESSION))
def test_every_compression_makes_a_valid_archive(sample_data, tmp_path, compression):
    path = services.backup_create(compression=compression)

    checked = restore_validate(path, tmp_path)

    assert checked.manifest["files"].keys() >= {"config/config.json"}


@pytest.fixture
def a_log_file():
    logs = settings.DATA_DIR / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "kasa.log").write_text("a log line\n")
    yield
    shutil.rmtree(logs)


@pytest.fixture
def an_export_file():
    """An export on disk (other tests may have left some too: the manifest lists them all)."""
    exports = settings.DATA_DIR / "exports"
    exports.mkdir(exist_ok=True)
    (exports / "manifest-test.csv").write_text("timestamp,power_w\n")
    yield
    (exports / "manifest-test.csv").unlink()


def test_the_manifest_describes_the_archive(sample_data, tmp_path, a_log_file, an_export_file):
    path = services.backup_create(include_logs=True, include_exports=True)
    manifest = archive.read_manifest(path)

    assert manifest["version"] == settings.VERSION
    assert manifest["type"] == "manual"
    assert manifest["includes"] == ["database", "config", "exports", "logs"]
    assert "0001_initial" in manifest["migrations"]["devices"]
    assert manifest["database"]["vendor"] in ("sqlite", "postgresql")
    restore_validate(path, tmp_path)
    for name, info in manifest["files"].items():
        data = (tmp_path / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"] and len(data) == info["size"]
    assert (tmp_path / "logs" / "kasa.log").read_text() == "a log line\n"
