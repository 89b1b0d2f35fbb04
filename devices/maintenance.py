"""Retention: delete raw readings past data_retention_days, in batches; rollups stay."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from system.selectors import system_config

from .models import Reading

BATCH = 10_000


def prune_readings(*, batch: int = BATCH) -> int:
    """Delete readings older than the retention period; return how many went."""
    cutoff = timezone.now() - timedelta(days=system_config().data_retention_days)
    deleted = 0
    while True:
        # Small batches keep each transaction (and SQLite's write lock) short.
        ids = list(
            Reading.objects.filter(timestamp__lt=cutoff).values_list("id", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += Reading.objects.filter(id__in=ids).delete()[0]
