"""Mail a finished scheduled export: the file attached, or a signed link when it is big."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.utils import timezone

from kasamonitor.errors import ApiError
from security.services import audit_record
from security.signed_urls import signed_url_for

from . import conf, files
from .models import ExportJob, ExportSchedule
from .periods import zone


def deliver(job: ExportJob) -> None:
    """Mail a finished scheduled export: the file attached, or a signed link when it is big."""
    schedule = job.schedule
    if schedule is None:
        return
    if job.status != ExportJob.Status.COMPLETED:
        mail(schedule, f"Your scheduled export '{schedule.name}' failed: {job.error}")
        return
    path = files.job_path(job)
    body = (f"Your scheduled export '{schedule.name}' is ready: {job.record_count} records, "
            f"{files.human_size(job.file_size or 0)}.")  # fmt: skip
    link = None
    if _wants_link(schedule, job):
        minutes = conf.limit("signed_link_minutes")
        try:  # signed for the owner: the link works while they may read their exports
            link = signed_url_for(path, job.user, expiry_minutes=minutes)
        except ApiError as exc:
            mail(schedule, body + f"\n\nNo download link could be made: {exc.message}")
            return
        mail(schedule, body + f"\n\nDownload it: {link}\nThe link works for {_span(minutes)}.")
    else:
        mail(schedule, body + "\n\nThe file is attached.", attachment=path, job=job)
    audit_record("DATA_EXPORTED", actor=job.user, target=job,
                 details={"export_id": job.pk, "filename": job.file_name, "size": job.file_size,
                          "format": job.format, "delivery": "link" if link else "attachment",
                          "recipients": schedule.delivery.get("recipients", [])})  # fmt: skip


def _wants_link(schedule: ExportSchedule, job: ExportJob) -> bool:
    too_big = (job.file_size or 0) > conf.limit("attachment_max_mb") * conf.MB
    return bool(schedule.delivery.get("link")) or too_big


def _span(minutes: int) -> str:
    size, unit = next(
        u for u in ((1440, "day"), (60, "hour"), (1, "minute")) if minutes % u[0] == 0
    )
    count = minutes // size
    return f"{count} {unit}{'' if count == 1 else 's'}"


def mail(
    schedule: ExportSchedule, body: str, *, attachment=None, job: ExportJob | None = None
) -> None:
    today = timezone.now().astimezone(zone(schedule.timezone)).date().isoformat()
    subject = schedule.delivery.get("subject", "Kasa Monitor export - {{date}}").replace(
        "{{date}}", today
    )
    recipients = schedule.delivery.get("recipients") or [schedule.user.email]
    message = EmailMessage(subject, body, to=recipients)
    if attachment is not None and job is not None:
        message.attach_file(str(attachment), files.mime_type(job.format, job.compression))
    message.send()
