"""The backups app's errors; the project's one handler renders them as JSON."""

from __future__ import annotations

from kasamonitor.errors import ApiError, NotFound


class InvalidBackupName(ApiError):
    status_code = 400
    error_code = "INVALID_BACKUP_NAME"
    message = "Backup names look like kasa_backup_YYYYMMDD_HHMMSS.7z."


class BackupNotFound(NotFound):
    error_code = "BACKUP_NOT_FOUND"
    message = "No backup with that name."


class InvalidArchive(ApiError):
    """The archive is refused before anything is touched: the reason says why."""

    status_code = 400
    error_code = "INVALID_BACKUP"
    message = "The backup archive is not valid."


class IncompatibleArchive(InvalidArchive):
    error_code = "INCOMPATIBLE_BACKUP"
    message = "The backup cannot be restored on this version of Kasa Monitor."


class BackupFailed(ApiError):
    status_code = 500
    error_code = "BACKUP_FAILED"
    message = "The backup could not be created."


class RestoreFailed(ApiError):
    status_code = 500
    error_code = "RESTORE_FAILED"
    message = "The restore failed; the database was left as it was."


class InvalidSchedule(ApiError):
    status_code = 400
    error_code = "INVALID_SCHEDULE"
    message = "The backup schedule is not valid."
