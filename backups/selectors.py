"""Reads of the backups app that views and other apps may call."""

from __future__ import annotations

from django.db.models import Count

from .models import BackupJob, BackupSchedule


def backup_schedules() -> list[BackupSchedule]:
    """Return the backup schedules by name."""
    return list(BackupSchedule.objects.order_by("name", "id"))


def last_job_failure() -> str | None:
    """Return the error of the latest backup job if it failed (a newer archive can't hide it)."""
    job = BackupJob.objects.values("status", "error").order_by("-created_at", "-id").first()
    if job and job["status"] == BackupJob.Status.FAILED:
        return job["error"] or "failed"
    return None


def job_counts_by_status() -> dict[str, int]:
    """Return how many backup jobs are in each status."""
    rows = BackupJob.objects.values("status").annotate(n=Count("id")).values_list("status", "n")
    return {status: 0 for status in BackupJob.Status.values} | dict(rows)


def backup_schedule_get(pk: int) -> BackupSchedule | None:
    """Return the schedule with this id, or None."""
    return BackupSchedule.objects.filter(pk=pk).first()
