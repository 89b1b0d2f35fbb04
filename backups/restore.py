"""Restore an archive: validate everything first, take a safety backup, then swap atomically."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from security.services import audit_record

from . import archive, configuration, database
from .errors import IncompatibleArchive, InvalidArchive, RestoreFailed
from .models import BackupJob
from .schedules import schedules_sync_all
from .services import FORMAT_VERSION, Progress, backup_create, backups_dir, sha256


@dataclass(frozen=True)
class CheckedArchive:
    manifest: dict
    root: Path  # where the verified members were extracted

    def member(self, name: str) -> Path:
        return self.root / name


def restore_validate(path: Path, workdir: Path, *, password: str | None = None) -> CheckedArchive:
    """Extract and verify an archive into workdir; raise InvalidArchive (400) on any doubt."""
    try:
        entries = archive.members(path, password)
        for entry in entries:
            _check_entry(entry)
        manifest = archive.read_manifest(path, password)
        _check_manifest(manifest, {e.name for e in entries if not e.is_dir})
        sizes = sum(f["size"] for f in manifest["files"].values())
        archive.extract_all(path, workdir, password, max_size=sizes + (1 << 20))
    except archive.ArchiveError as exc:
        raise InvalidArchive(f"The backup cannot be read: {exc}.") from exc
    for name, expected in manifest["files"].items():
        if sha256(workdir / name) != expected["sha256"]:
            raise InvalidArchive(f"The backup was altered or damaged: {name} fails its checksum.")
    _check_migrations(manifest["migrations"])
    checked = CheckedArchive(manifest, workdir)
    _check_database(checked)
    return checked


def _check_entry(entry: archive.Member) -> None:
    if not archive.safe_name(entry.name):
        raise InvalidArchive(f"The backup holds an unsafe path ({entry.name!r}): refused.")
    if entry.is_symlink:
        raise InvalidArchive(f"The backup holds a symbolic link ({entry.name!r}): refused.")


def _check_manifest(manifest: dict, names: set[str]) -> None:
    required = ("format", "files", "migrations", "database")
    if any(key not in manifest for key in required) or not isinstance(manifest["files"], dict):
        raise InvalidArchive("The backup's manifest is incomplete.")
    if not isinstance(manifest["format"], int) or manifest["format"] > FORMAT_VERSION:
        raise IncompatibleArchive(
            "This backup was written by a newer version of Kasa Monitor; upgrade first."
        )
    if not _well_formed(manifest):
        raise InvalidArchive("The backup's manifest is malformed.")
    listed = set(manifest["files"])
    if names - {archive.MANIFEST} != listed:
        extra = sorted((names - {archive.MANIFEST}) ^ listed)[:5]
        raise InvalidArchive(f"The backup's files don't match its manifest: {extra}.")
    for name in listed:
        if not archive.safe_name(name):
            raise InvalidArchive(f"The manifest names an unsafe path ({name!r}): refused.")
    _check_members_used(manifest["database"], listed)


# The only names restore reads by itself; anything else in the manifest is never opened.
SNAPSHOT_MEMBERS = {"sqlite": "database/db.sqlite3", "postgresql": "database/db.pgdump"}
CONFIG_MEMBER = "config/config.json"


def _check_members_used(info: dict, listed: set[str]) -> None:
    """The snapshot restore loads must be the vendor's one name, listed and checksummed like
    every member: an absolute or ../ path here would load any file as the live database."""
    expected = SNAPSHOT_MEMBERS.get(info.get("vendor"))
    if expected is None:
        raise InvalidArchive(f"The backup's database engine ({info.get('vendor')!r}) is unknown.")
    if info.get("file") != expected or expected not in listed:
        raise InvalidArchive(
            f"The manifest's database file ({str(info.get('file'))[:100]!r}) is not the "
            f"backup's listed {expected}: refused."
        )
    if CONFIG_MEMBER not in listed:
        raise InvalidArchive(f"The backup has no {CONFIG_MEMBER}.")


def _well_formed(manifest: dict) -> bool:
    files_ok = all(
        isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("size"), int)
        for v in manifest["files"].values()
    )
    migrations = manifest["migrations"]
    migrations_ok = isinstance(migrations, dict) and all(
        isinstance(names, list) and all(isinstance(n, str) for n in names)
        for names in migrations.values()
    )
    return files_ok and migrations_ok and isinstance(manifest["database"], dict)


def _check_migrations(migrations: dict) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    archived = {(app, name) for app, names in migrations.items() for name in names}
    unknown = sorted(f"{app}.{name}" for app, name in archived - known)
    if unknown:
        raise IncompatibleArchive(
            "This backup comes from a newer version of Kasa Monitor: its database has "
            f"migrations this version doesn't know ({', '.join(unknown[:5])}). Upgrade Kasa "
            "Monitor to the version that made the backup (or later), then restore.",
            unknown_migrations=unknown,
        )


def _check_database(checked: CheckedArchive) -> None:
    info = checked.manifest["database"]
    kind = info.get("vendor")
    try:
        applied = database.check_snapshot(checked.member(SNAPSHOT_MEMBERS[kind]), kind)
    except (database.DatabaseError, KeyError) as exc:
        raise InvalidArchive(f"The backup's database snapshot is not usable: {exc}") from exc
    archived = {(a, n) for a, names in checked.manifest["migrations"].items() for n in names}
    if applied != archived:
        raise InvalidArchive("The backup's manifest does not describe its database snapshot.")


def backup_restore(
    path: Path,
    *,
    password: str | None = None,
    restore_database: bool = True,
    restore_config: bool = True,
    actor=None,
    request=None,
    progress: Progress | None = None,
) -> dict:
    """Validate the archive, take a safety backup, then restore the parts asked for."""
    report = progress or (lambda stage, percent: None)
    if not (restore_database or restore_config):
        raise InvalidArchive("Nothing to restore: choose the database, the configuration or both.")
    with tempfile.TemporaryDirectory(dir=backups_dir(), prefix=".restore-") as tmp:
        report("validate", 5)
        try:
            checked = restore_validate(path, Path(tmp) / "archive", password=password)
            _check_vendor(checked, restore_database)
            if restore_config and not restore_database:
                _config_fits(checked.member(CONFIG_MEMBER))
        except InvalidArchive as exc:
            _audit_refusal(path, exc, actor, request)
            raise
        report("safety backup", 30)
        safety = backup_create(kind="safety")
        report("restore", 60)
        restored = _apply(checked, Path(tmp), restore_database, restore_config)
    report("done", 100)
    audit_record(
        "backup.restore", actor=actor, request=request, target_type="backup",
        target_id=path.name, severity="warning",
        details={"restored": restored, "safety_backup": safety.name},
    )  # fmt: skip
    return {"restored": restored, "safety_backup": safety.name,
            "backup_created_at": checked.manifest.get("created_at"),
            "backup_version": checked.manifest.get("version")}  # fmt: skip


def _check_vendor(checked: CheckedArchive, restore_database: bool) -> None:
    kind = checked.manifest["database"].get("vendor")
    if restore_database and kind != database.vendor():
        raise IncompatibleArchive(
            f"This backup holds a {kind} database but this system runs {database.vendor()}; "
            "restore only its configuration, or run Kasa Monitor on the same database engine."
        )


def _apply(checked: CheckedArchive, tmp: Path, restore_database: bool, restore_config: bool):
    restored = []
    try:
        if restore_database:
            kept = tmp / "current-config.json"
            if not restore_config:
                configuration.dump(kept)  # "data only": keep today's settings
            vendor = checked.manifest["database"]["vendor"]
            database.load(checked.member(SNAPSHOT_MEMBERS[vendor]))
            restored.append("database")
            _settle()
            if not restore_config:
                _load_config(kept)
        if restore_config:
            if not restore_database:
                _load_config(checked.member(CONFIG_MEMBER))
            restored.append("config")
        schedules_sync_all()
    except database.DatabaseError as exc:
        raise RestoreFailed(f"The restore failed and was rolled back: {exc}") from exc
    finally:
        connections.close_all()  # every thread/process starts again from the restored state
    return restored


CONFIG_ERRORS = (
    DeserializationError, FieldDoesNotExist, ValidationError, DatabaseError, LookupError,
    ValueError, TypeError,
)  # fmt: skip


def _config_fits(path: Path) -> None:
    try:
        configuration.check(path)
    except (*CONFIG_ERRORS, OSError) as exc:
        raise IncompatibleArchive(
            f"The backup's configuration does not fit this version of Kasa Monitor ({exc})."
        ) from exc


def _load_config(path: Path) -> None:
    # configuration.load is one transaction: on any error nothing of it remains.
    try:
        configuration.load(path)
    except CONFIG_ERRORS as exc:
        raise RestoreFailed(f"The configuration could not be restored: {exc}") from exc


def _settle() -> None:
    """Bring the restored database up to this version's schema and drop stale caches."""
    connection.close()
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    BackupJob.objects.filter(status__in=["pending", "running"]).update(
        status="failed", error="Interrupted: a restore replaced the database."
    )


def _audit_refusal(path: Path, exc: Exception, actor, request) -> None:
    audit_record(
        "backup.restore", actor=actor, request=request, target_type="backup",
        target_id=path.name, outcome="failure", severity="warning",
        details={"reason": str(exc)[:500]},
    )  # fmt: skip


def backup_restore_upload(upload, **options) -> dict:
    """Restore an uploaded archive (a Django UploadedFile): saved beside the backups while
    it is checked and restored, then removed. `options` are backup_restore()'s."""
    with tempfile.TemporaryDirectory(dir=backups_dir(), prefix=".upload-") as tmp:
        path = Path(tmp) / "upload.7z"
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return backup_restore(path, **options)
