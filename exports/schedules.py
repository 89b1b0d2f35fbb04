"""Scheduled exports: cron schedules that create exports (delivery.py mails them when they finish)."""

from __future__ import annotations

import logging
from datetime import datetime

from croniter import croniter
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from kasamonitor.errors import ApiError
from security.services import audit_record

from . import delivery, services
from .errors import ExportNotFound, InvalidExportRequest
from .models import ExportSchedule
from .periods import zone
from .request import parse

logger = logging.getLogger(__name__)


def schedule_next_run(cron: str, tz_name: str, after: datetime) -> datetime:
    return croniter(cron, after.astimezone(zone(tz_name))).get_next(datetime)


def _validated(user, data: dict, current: ExportSchedule | None = None) -> dict:
    if not isinstance(data, dict):
        raise InvalidExportRequest("The request body must be a JSON object.")
    merged = {
        "name": data.get("name", current.name if current else None),
        "schedule": data.get("schedule", current.schedule if current else None),
        "export_config": data.get("export_config", current.export_config if current else None),
        "delivery": data.get("delivery", current.delivery if current else {}),
        "enabled": data.get("enabled", current.enabled if current else True),
    }
    if not isinstance(merged["name"], str) or not merged["name"].strip():
        raise InvalidExportRequest("name is required.", "name")
    if not isinstance(merged["schedule"], str) or not croniter.is_valid(merged["schedule"]):
        raise InvalidExportRequest(
            "schedule must be a cron expression like '0 9 1 * *'.", "schedule"
        )
    if not isinstance(merged["export_config"], dict):
        raise InvalidExportRequest("export_config is required.", "export_config")
    parse(merged["export_config"], now=timezone.now())  # refuses bad configs now, not at 9 AM
    merged["timezone"] = str(zone((merged["export_config"].get("options") or {}).get("timezone")))
    merged["delivery"] = _delivery(user, merged["delivery"])
    merged["enabled"] = bool(merged["enabled"])
    return merged


def _delivery(user, value) -> dict:
    if not isinstance(value, dict):
        raise InvalidExportRequest("delivery must be an object.", "delivery")
    if value.get("method", "email") != "email":
        raise InvalidExportRequest("delivery.method must be 'email'.", "delivery.method")
    recipients = value.get("recipients") or [user.email]
    if not isinstance(recipients, list) or not recipients:
        raise InvalidExportRequest(
            "delivery.recipients is a list of addresses.", "delivery.recipients"
        )
    for address in recipients:
        try:
            validate_email(address)
        except (ValidationError, TypeError) as exc:
            raise InvalidExportRequest(
                f"{address!r} is not an email address.", "delivery.recipients"
            ) from exc
    subject = value.get("subject") or "Kasa Monitor export - {{date}}"
    return {"method": "email", "recipients": recipients, "subject": str(subject)[:200],
            "link": bool(value.get("link", False))}  # fmt: skip


def schedule_create(*, user, data: dict, request=None) -> ExportSchedule:
    """Create a scheduled export after checking its cron, export config and delivery."""
    fields = _validated(user, data)
    fields["next_run_at"] = schedule_next_run(
        fields["schedule"], fields["timezone"], timezone.now()
    )
    schedule = ExportSchedule.objects.create(user=user, **fields)
    audit_record("DATA_EXPORT", actor=user, request=request, target=schedule,
                 details={"schedule_id": schedule.pk, "action": "schedule_created"})  # fmt: skip
    return schedule


def schedule_update(schedule: ExportSchedule, *, user, data: dict, request=None) -> ExportSchedule:
    fields = _validated(user, data, schedule)
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.next_run_at = schedule_next_run(schedule.schedule, schedule.timezone, timezone.now())
    schedule.save()
    audit_record("DATA_EXPORT", actor=user, request=request, target=schedule,
                 details={"schedule_id": schedule.pk, "action": "schedule_updated"})  # fmt: skip
    return schedule


def schedule_delete(schedule: ExportSchedule, *, user, request=None) -> None:
    audit_record("DATA_DELETED", actor=user, request=request, target=schedule,
                 details={"schedule_id": schedule.pk, "action": "schedule_deleted"})  # fmt: skip
    schedule.delete()


def schedule_get(schedule_id: str, *, user) -> ExportSchedule:
    schedule = ExportSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None or (schedule.user_id != user.pk and not services.is_admin(user)):
        raise ExportNotFound(schedule_id, "Schedule")
    return schedule


def run_due_schedules(now: datetime | None = None) -> int:
    """Create the exports of every schedule that is due; return how many started."""
    now = now or timezone.now()
    started = 0
    for schedule in ExportSchedule.objects.filter(
        enabled=True, next_run_at__lte=now
    ).select_related("user"):
        upcoming = schedule_next_run(schedule.schedule, schedule.timezone, now)
        # Claim the run by moving next_run_at, so two schedulers never run it twice.
        if not ExportSchedule.objects.filter(
            pk=schedule.pk, next_run_at=schedule.next_run_at
        ).update(next_run_at=upcoming, last_run_at=now):
            continue
        started += _start(schedule, now)
    return started


def _start(schedule: ExportSchedule, now: datetime) -> int:
    try:
        job = services.export_create(user=schedule.user, data=schedule.export_config,
                                     schedule=schedule, now=now)  # fmt: skip
    except ApiError as exc:
        logger.warning(
            "scheduled export refused", extra={"schedule": schedule.pk, "error": exc.message}
        )
        delivery.mail(
            schedule, f"Your scheduled export '{schedule.name}' could not start: {exc.message}"
        )
        return 0
    ExportSchedule.objects.filter(pk=schedule.pk).update(last_export=job)
    return 1
