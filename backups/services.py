"""Create, list and delete backup archives, and run backup jobs (API, admin, worker, CLI)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from kasamonitor.timestamps import iso_utc
from security.services import audit_record

from . import archive, configuration, database
from .errors import BackupFailed, BackupNotFound, InvalidBackupName
from .models import BackupJob, BackupSchedule
from .sealing import seal, unseal

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^kasa_backup_(?P<stamp>\d{8}_\d{6})(?:_(?P<type>[a-z]+))?\.7z$")
STAMP_FORMAT = "%Y%m%d_%H%M%S"
TYPES = ("manual", "scheduled", "safety", "import")
FORMAT_VERSION = 1
Progress = Callable[[str, int], None]


def backups_dir() -> Path:
    path = Path(settings.DATA_DIR) / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def backup_path(filename: str) -> Path:
    """Return the archive's path for a user-given name; refuse anything else (no traversal)."""
    if not isinstance(filename, str) or not NAME_RE.fullmatch(filename):
        raise InvalidBackupName(filename=str(filename)[:100])
    path = backups_dir() / filename
    if path.parent.resolve() != backups_dir().resolve() or path.is_symlink():
        raise InvalidBackupName(filename=filename)
    if not path.is_file():
        raise BackupNotFound(filename=filename)
    return path


def parse_name(filename: str) -> tuple[datetime, str] | None:
    """Return (created UTC, type) from an archive name, or None if it isn't one of ours."""
    match = NAME_RE.fullmatch(filename)
    if not match:
        return None
    created = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
    return created, match["type"] or "manual"


def _new_name(kind: str, directory: Path) -> str:
    """Pick a free name and reserve it by creating its .part file (two workers, one second)."""
    moment = timezone.now()
    suffix = "" if kind == "manual" else f"_{kind}"
    while True:
        name = f"kasa_backup_{moment:{STAMP_FORMAT}}{suffix}.7z"
        if not (directory / name).exists():
            try:
                (directory / f".{name}.part").touch(exist_ok=False)
                return name
            except FileExistsError:
                pass
        moment += timedelta(seconds=1)


# CREATE
# ------------------------------------------------------------------------------
def backup_create(
    *,
    kind: str = "manual",
    include_logs: bool = False,
    include_exports: bool = False,
    compression: str = "normal",
    password: str | None = None,
    output: Path | None = None,
    progress: Progress | None = None,
    extra: dict | None = None,
) -> Path:
    """Write one archive (database snapshot, configuration, optional logs/exports, manifest)."""
    report = progress or (lambda stage, percent: None)
    directory, name = _destination(output, kind)
    partial = directory / f".{name}.part"  # never listed while half written
    try:
        with tempfile.TemporaryDirectory(dir=directory, prefix=".staging-") as tmp:
            report("snapshot database", 5)
            files = _stage(Path(tmp), include_logs, include_exports)
            report("checksums", 35)
            manifest = _manifest(kind, files, encrypted=bool(password), extra=extra or {})
            total = sum(p.stat().st_size for p in files.values()) or 1
            archive.write(
                partial,
                manifest,
                files,
                password=password,
                compression=compression,
                on_bytes=lambda n: report("compress", 40 + int(59 * n / total)),
            )
            os.replace(partial, directory / name)
    finally:
        partial.unlink(missing_ok=True)
    report("done", 100)
    return directory / name


def _destination(output: Path | None, kind: str) -> tuple[Path, str]:
    if output is None:
        directory = backups_dir()
        return directory, _new_name(kind, directory)
    output = Path(output)
    if output.is_dir():
        return output, _new_name(kind, output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return output.parent, output.name


def _stage(tmp: Path, include_logs: bool, include_exports: bool) -> dict[str, Path]:
    (tmp / "database").mkdir()
    (tmp / "config").mkdir()
    db_name = f"database/{database.snapshot_filename()}"
    try:
        database.snapshot(tmp / db_name)
    except database.DatabaseError as exc:
        raise BackupFailed(str(exc)) from exc
    configuration.dump(tmp / "config/config.json")
    files = {db_name: tmp / db_name, "config/config.json": tmp / "config/config.json"}
    if include_logs:
        files.update(_folder_files("logs"))
    if include_exports:
        files.update(_folder_files("exports"))
    return files


def _folder_files(folder: str) -> dict[str, Path]:
    root = Path(settings.DATA_DIR) / folder
    if not root.is_dir():
        return {}
    return {
        f"{folder}/{path.relative_to(root).as_posix()}": path
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def _manifest(kind: str, files: dict[str, Path], *, encrypted: bool, extra: dict) -> dict:
    includes = ["database", "config"] + sorted(
        {name.split("/")[0] for name in files} - {"database", "config"}
    )
    db_name = next(name for name in files if name.startswith("database/"))
    return {
        "format": FORMAT_VERSION,
        "app": "kasa-monitor",
        "version": settings.VERSION,
        "created_at": timezone.now().isoformat(),
        "type": kind,
        "includes": includes,
        "encrypted": encrypted,
        "database": {"vendor": database.vendor(), "file": db_name},
        "migrations": applied_migrations(),
        "files": {
            name: {"sha256": sha256(p), "size": p.stat().st_size} for name, p in files.items()
        },
        **extra,
    }


def applied_migrations() -> dict[str, list[str]]:
    """Return {app: [migration names]} applied to the live database."""
    state: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        state.setdefault(app, []).append(name)
    return state


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# LIST / DELETE
# ------------------------------------------------------------------------------
def backup_list() -> list[dict]:
    """Return the archives in the backups folder, newest first, in the spec's shape."""
    rows = []
    for path in backups_dir().glob("kasa_backup_*.7z"):
        parsed = parse_name(path.name)
        if parsed and path.is_file() and not path.is_symlink():
            rows.append(_describe(path, *parsed))
    return sorted(rows, key=lambda row: row["filename"], reverse=True)


def _describe(path: Path, created: datetime, kind: str) -> dict:
    encrypted = archive.is_encrypted(path)
    includes: list[str] = []
    if not encrypted:
        # A damaged archive is still listed, so it can be downloaded or deleted.
        with contextlib.suppress(archive.ArchiveError):
            includes = archive.read_manifest(path).get("includes", [])
    return {
        "filename": path.name,
        "size": path.stat().st_size,
        "created": iso_utc(created),
        "type": kind,
        "includes": includes,
        "encrypted": encrypted,
    }


def backup_delete(filename: str, *, actor=None, request=None) -> None:
    """Delete one archive from the backups folder."""
    path = backup_path(filename)
    path.unlink()
    audit_record(
        "backup.delete", actor=actor, request=request, target_type="backup", target_id=filename
    )


# JOBS (API and admin enqueue; the worker runs)
# ------------------------------------------------------------------------------
def backup_job_start(
    *,
    kind: str = "manual",
    options: dict | None = None,
    password: str | None = None,
    actor=None,
    schedule: BackupSchedule | None = None,
) -> BackupJob:
    """Record a pending job and hand it to the worker once the row is committed."""
    from .tasks import run_backup_job

    job = BackupJob.objects.create(
        type=kind, options=options or {}, created_by=actor, schedule=schedule
    )
    sealed = seal(password) if password else None
    transaction.on_commit(lambda: run_backup_job.delay(job.pk, sealed))
    return job


def backup_job_run(job_id: int, sealed_password: str | None = None) -> BackupJob:
    """Run a job: create the archive, keep progress on the row, record success or failure."""
    job = BackupJob.objects.get(pk=job_id)
    _job_update(job, status=BackupJob.Status.RUNNING, started_at=timezone.now(), stage="start")
    options = {
        k: job.options[k]
        for k in ("include_logs", "include_exports", "compression")
        if k in job.options
    }
    extra = {"schedule_id": job.schedule_id} if job.schedule_id else {}
    try:
        path = backup_create(
            kind=job.type,
            password=_job_password(sealed_password),
            progress=_job_progress(job),
            extra=extra,
            **options,
        )
    except Exception as exc:  # the job row must say "failed" whatever went wrong
        logger.exception("backup job %s failed", job.pk)
        _job_update(
            job, status=BackupJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        audit_record("backup.create", actor=job.created_by, target_type="backup", outcome="failure",
                     severity="error", details={"job": job.pk, "error": str(exc)[:500]})  # fmt: skip
        return job
    _job_update(job, status=BackupJob.Status.COMPLETED, progress=100, stage="done",
                filename=path.name, size=path.stat().st_size, finished_at=timezone.now())  # fmt: skip
    audit_record("backup.create", actor=job.created_by, target_type="backup", target_id=path.name,
                 details={"job": job.pk, "type": job.type, "size": job.size})  # fmt: skip
    return job


def _job_password(sealed_password: str | None) -> str | None:
    """The archive password the job was started with; a sealed one that can no longer be
    read fails the job rather than writing the archive in clear."""
    if not sealed_password:
        return None
    password = unseal(sealed_password)
    if password is None:
        raise BackupFailed(
            "The archive password could not be read (the job waited more than 24 hours or "
            "SECRET_KEY changed), so no backup was written rather than an unencrypted one. "
            "Start the backup again with its password."
        )
    return password


def backup_jobs_mark_failed(message: str, **which) -> None:
    """Fail the jobs (`which`: pk=… or schedule_id=…) still pending or running: their task died
    before the job could say so itself (its process killed or out of memory, the database
    unwritable), and a row must not say "pending" for ever."""
    BackupJob.objects.filter(
        status__in=(BackupJob.Status.PENDING, BackupJob.Status.RUNNING), **which
    ).update(status=BackupJob.Status.FAILED, error=message[:2000], finished_at=timezone.now())


def _job_progress(job: BackupJob) -> Progress:
    last = {"percent": -1}

    def report(stage: str, percent: int) -> None:
        if percent != last["percent"]:  # one UPDATE per percent, not per megabyte
            last["percent"] = percent
            _job_update(job, progress=min(percent, 99), stage=stage)

    return report


def _job_update(job: BackupJob, **fields) -> None:
    for key, value in fields.items():
        setattr(job, key, value)
    BackupJob.objects.filter(pk=job.pk).update(**fields)


def backup_job_current(job_id: int | None = None) -> BackupJob | None:
    """Return the given job, or the newest one."""
    jobs = BackupJob.objects.all()
    return jobs.filter(pk=job_id).first() if job_id else jobs.first()
