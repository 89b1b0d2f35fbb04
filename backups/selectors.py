"""Reads of the backups app that other apps may call."""

from __future__ import annotations

from django.db.models import Count

from .models import BackupJob


def job_counts_by_status() -> dict[str, int]:
    """Return how many backup jobs are in each status."""
    rows = BackupJob.objects.values("status").annotate(n=Count("id")).values_list("status", "n")
    return {status: 0 for status in BackupJob.Status.values} | dict(rows)
