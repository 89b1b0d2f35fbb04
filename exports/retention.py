"""Retention: expire exports per export type, delete their files, warn owners a day before."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.utils import timezone

from . import conf, files
from .models import ExportJob


def cleanup_expired(now: datetime | None = None) -> dict[str, int]:
    """Expire exports past their retention; remove the files of auto-delete types."""
    now = now or timezone.now()
    expired = deleted = 0
    due = ExportJob.objects.filter(status=ExportJob.Status.COMPLETED, expires_at__lte=now)
    for job in due.iterator(chunk_size=500):
        if conf.RETENTION.get(job.export_type, {}).get("auto_delete", True):
            files.remove(job)
            job.file_deleted_at = now
            deleted += 1
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["status", "file_deleted_at"])
        expired += 1
    return {"expired": expired, "files_deleted": deleted, "notified": notify_expiring(now)}


def notify_expiring(now: datetime) -> int:
    """Mail each owner once about auto-delete exports that expire within the notice period."""
    soon = now + timedelta(hours=conf.NOTIFY_HOURS_BEFORE_DELETION)
    jobs = ExportJob.objects.filter(
        status=ExportJob.Status.COMPLETED, expires_at__gt=now, expires_at__lte=soon,
        expiry_notified_at=None,
        export_type__in=[t for t, p in conf.RETENTION.items() if p["auto_delete"]],
    ).select_related("user")  # fmt: skip
    by_user: dict = {}
    for job in jobs:
        by_user.setdefault(job.user, []).append(job)
    for user, own in by_user.items():
        lines = "\n".join(f"- {j.pk} ({j.export_type}, {j.format}) expires {j.expires_at:%Y-%m-%d %H:%M} UTC"
                          for j in own)  # fmt: skip
        send_mail("Kasa Monitor: exports expiring soon",
                  f"These exports will be deleted within {conf.NOTIFY_HOURS_BEFORE_DELETION} hours:\n{lines}\n",
                  None, [user.email])  # fmt: skip
        ExportJob.objects.filter(pk__in=[j.pk for j in own]).update(expiry_notified_at=now)
    return sum(len(v) for v in by_user.values())
