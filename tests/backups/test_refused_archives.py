"""Bad archives get a 400 with the reason, and nothing changes: no data, no safety backup."""

from __future__ import annotations

import json
import os

import pytest

from backups import services
from tests.backups.archives import members_of, pack, unpack
from tests.backups.support import snapshot_of_data


@pytest.fixture
def good_archive(sample_data):
    return services.backup_create()


def _restore(api, path, **fields):
    with open(path, "rb") as fh:
        return api.post("/api/backups/restore", {"file": fh, **fields}, format="multipart")


def _assert_refused(api, path, code="INVALID_BACKUP", says="", **fields):
    before = snapshot_of_data()
    backups_before = sorted(p.name for p in services.backups_dir().iterdir())
    response = _restore(api, path, **fields)
    body = response.json()
    assert response.status_code == 400, body
    assert body["error_code"] == code
    assert says.lower() in body["message"].lower()
    assert snapshot_of_data() == before
    assert sorted(p.name for p in services.backups_dir().iterdir()) == backups_before
    return body


def _repack(good, tmp_path, *, manifest=None, members=None, password=None):
    root = tmp_path / "unpacked"
    original = unpack(good, root)
    files = members_of(root)
    return pack(
        tmp_path / "bad.7z",
        manifest(original) if manifest else original,
        members(files) if members else files,
        password=password,
    )


def test_it_refuses_a_file_that_is_not_an_archive(admin_api, good_archive, tmp_path):
    junk = tmp_path / "junk.7z"
    junk.write_bytes(os.urandom(4096))
    _assert_refused(admin_api, junk, says="not a 7z file")


def test_it_refuses_a_truncated_archive(admin_api, good_archive, tmp_path):
    cut = tmp_path / "cut.7z"
    cut.write_bytes(good_archive.read_bytes()[: good_archive.stat().st_size // 2])
    _assert_refused(admin_api, cut, says="cannot be read")


def test_it_refuses_an_archive_whose_content_was_altered(admin_api, good_archive, tmp_path):
    def tamper(files):
        return {**files, "config/config.json": b'{"devices.systemconfig": []}'}

    _assert_refused(admin_api, _repack(good_archive, tmp_path, members=tamper), says="checksum")


def test_it_refuses_an_archive_without_a_manifest(admin_api, good_archive, tmp_path):
    import py7zr

    bare = tmp_path / "bare.7z"
    with py7zr.SevenZipFile(bare, "w") as archive:
        archive.writestr(b"hello", "database/db.sqlite3")
    _assert_refused(admin_api, bare, says="no manifest")


@pytest.mark.parametrize("evil", ["../escape.txt", "/etc/cron.d/evil", "config/../../up.txt"])
def test_it_refuses_member_paths_that_escape_their_folder(admin_api, good_archive, tmp_path, evil):
    def add_evil(files):
        return {**files, evil: b"owned"}

    def list_evil(manifest):
        manifest["files"][evil] = {"sha256": "0" * 64, "size": 5}
        return manifest

    bad = _repack(good_archive, tmp_path, members=add_evil, manifest=list_evil)
    _assert_refused(admin_api, bad, says="unsafe path")
    assert not (services.backups_dir().parent / "escape.txt").exists()


def test_it_refuses_an_archive_holding_a_symlink(admin_api, good_archive, tmp_path):
    import py7zr

    root = tmp_path / "unpacked"
    manifest = unpack(good_archive, root)
    (root / "config" / "link").symlink_to("/etc/passwd")
    manifest["files"]["config/link"] = {"sha256": "0" * 64, "size": 11}
    (root / "manifest.json").write_text(json.dumps(manifest))
    bad = tmp_path / "link.7z"
    with py7zr.SevenZipFile(bad, "w") as archive:  # members from disk: py7zr stores the link
        archive.write(root / "manifest.json", "manifest.json")
        archive.writeall(root / "database", "database")
        archive.writeall(root / "config", "config")
    _assert_refused(admin_api, bad, says="symbolic link")


def test_it_refuses_a_wrong_password(admin_api, sample_data):
    encrypted = services.backup_create(password="right-one")
    _assert_refused(admin_api, encrypted, password="wrong-one", says="wrong password")


def test_it_asks_for_the_password_of_an_encrypted_archive(admin_api, sample_data):
    encrypted = services.backup_create(password="right-one")
    _assert_refused(admin_api, encrypted, says="password is needed")


def test_it_refuses_an_archive_from_a_newer_schema(admin_api, good_archive, tmp_path):
    def from_the_future(manifest):
        manifest["migrations"]["devices"].append("9999_from_the_future")
        return manifest

    bad = _repack(good_archive, tmp_path, manifest=from_the_future)
    body = _assert_refused(admin_api, bad, code="INCOMPATIBLE_BACKUP", says="newer version")
    assert body["unknown_migrations"] == ["devices.9999_from_the_future"]


def test_it_refuses_a_manifest_that_lies_about_the_snapshot(admin_api, good_archive, tmp_path):
    def forget_a_migration(manifest):
        manifest["migrations"]["devices"].pop()
        return manifest

    bad = _repack(good_archive, tmp_path, manifest=forget_a_migration)
    _assert_refused(admin_api, bad, says="manifest")


def test_it_refuses_a_restore_with_nothing_chosen(admin_api, good_archive):
    options = json.dumps({"restore_config": False, "restore_database": False})
    _assert_refused(admin_api, good_archive, options=options, says="nothing to restore")


def test_it_refuses_options_that_are_not_json(admin_api, good_archive):
    response = _restore(admin_api, good_archive, options="{nope")
    assert response.status_code == 400
    assert response.json()["field"] == "options"


def test_it_refuses_configuration_from_another_schema(admin_api, good_archive, tmp_path):
    import hashlib

    config = json.dumps({"devices.systemconfig": [
        {"model": "devices.systemconfig", "pk": 1, "fields": {"no_such_field": 1}}]}).encode()  # fmt: skip

    def swap_config(files):
        return {**files, "config/config.json": config}

    def list_config(manifest):
        digest = hashlib.sha256(config).hexdigest()
        manifest["files"]["config/config.json"] = {"sha256": digest, "size": len(config)}
        return manifest

    bad = _repack(good_archive, tmp_path, members=swap_config, manifest=list_config)
    options = json.dumps({"restore_config": True, "restore_database": False})
    _assert_refused(
        admin_api, bad, code="INCOMPATIBLE_BACKUP", says="does not fit", options=options
    )
