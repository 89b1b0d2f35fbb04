"""Backup schedules: each one is mirrored by a django-celery-beat PeriodicTask (cron)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from croniter import croniter
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from security.services import audit_record

from . import archive
from .errors import InvalidSchedule
from .models import BackupJob, BackupSchedule, schedule_problems
from .services import backup_job_run, backups_dir, parse_name

logger = logging.getLogger(__name__)

TASK = "backups.tasks.run_scheduled_backup"
OPTION_KEYS = {"include_logs", "include_exports", "compression"}


def cron_validate(cron: str) -> str:
    """Return the normalised five-field expression, or raise InvalidSchedule."""
    problem = schedule_problems(cron, {}).get("cron")
    if problem:
        raise InvalidSchedule(problem, field="cron")
    return " ".join(str(cron).split())


def next_run(schedule: BackupSchedule) -> datetime | None:
    if not schedule.enabled:
        return None
    return croniter(schedule.cron, timezone.localtime()).get_next(datetime)


@transaction.atomic
def schedule_create(data: dict, *, actor=None, request=None) -> BackupSchedule:
    """Create a schedule from validated input (ScheduleSerializer's fields)."""
    return schedule_save(BackupSchedule(**data), actor=actor, request=request)


def schedule_switch(
    schedule: BackupSchedule, enabled: bool, *, actor=None, request=None
) -> BackupSchedule:
    """Turn a schedule on or off (its PeriodicTask follows; audited like any change)."""
    schedule.enabled = enabled
    return schedule_save(schedule, actor=actor, request=request)


def schedule_save(schedule: BackupSchedule, *, actor=None, request=None) -> BackupSchedule:
    """Validate and save a schedule and bring its PeriodicTask in line with it."""
    created = schedule.pk is None
    schedule.cron = cron_validate(schedule.cron)
    problems = schedule_problems(schedule.cron, schedule.options)
    if problems:
        field, problem = next(iter(problems.items()))
        raise InvalidSchedule(problem, field=field)
    schedule.options = {k: v for k, v in schedule.options.items() if k in OPTION_KEYS}
    schedule.save()
    schedule_sync(schedule)
    audit_record(
        "backup.schedule." + ("create" if created else "update"),
        actor=actor, request=request, target=schedule,
        details={"cron": schedule.cron, "enabled": schedule.enabled},
    )  # fmt: skip
    return schedule


@transaction.atomic
def schedule_delete(schedule: BackupSchedule, *, actor=None, request=None) -> None:
    """Delete a schedule and its PeriodicTask."""
    audit_record("backup.schedule.delete", actor=actor, request=request, target=schedule)
    if schedule.periodic_task_id:
        PeriodicTask.objects.filter(pk=schedule.periodic_task_id).delete()
    schedule.delete()


def schedule_sync(schedule: BackupSchedule) -> PeriodicTask:
    """Create or update the schedule's PeriodicTask (idempotent)."""
    minute, hour, day, month, weekday = schedule.cron.split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute, hour=hour, day_of_month=day, month_of_year=month,
        day_of_week=weekday, timezone=settings.TIME_ZONE,
    )  # fmt: skip
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"backups: schedule {schedule.pk}",
        defaults={
            "task": TASK,
            "crontab": crontab,
            "interval": None,
            "kwargs": json.dumps({"schedule_id": schedule.pk}),
            "enabled": schedule.enabled,
            "description": f"Backup schedule '{schedule.name}' (edit it under Backup schedules).",
        },
    )
    if schedule.periodic_task_id != task.pk:
        BackupSchedule.objects.filter(pk=schedule.pk).update(periodic_task=task)
        schedule.periodic_task = task
    return task


def schedules_sync_all(**kwargs) -> None:
    """Give every schedule its PeriodicTask and drop tasks whose schedule is gone."""
    for schedule in BackupSchedule.objects.all():
        schedule_sync(schedule)
    names = {
        f"backups: schedule {pk}" for pk in BackupSchedule.objects.values_list("pk", flat=True)
    }
    PeriodicTask.objects.filter(task=TASK).exclude(name__in=names).delete()


def schedule_run(schedule_id: int) -> BackupJob | None:
    """Run one scheduled backup now (in the worker); only a completed one applies the
    schedule's retention, so failing runs (a full disk) never eat the good backups."""
    schedule = BackupSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        return None
    job = BackupJob.objects.create(type="scheduled", options=schedule.options, schedule=schedule)
    job = backup_job_run(job.pk)
    BackupSchedule.objects.filter(pk=schedule.pk).update(last_run_at=timezone.now())
    if job.status == BackupJob.Status.COMPLETED:
        retention_apply(schedule)
    else:
        logger.warning("backup schedule %s: run failed, retention not applied", schedule.pk)
    return job


def retention_apply(schedule: BackupSchedule, *, now: datetime | None = None) -> list[str]:
    """Delete this schedule's backups older than its retention_days, except its keep_last
    newest good ones (whatever their age); return the names deleted."""
    if not schedule.retention_days:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=schedule.retention_days)
    # Newest first (names sort by time); "good" = its manifest reads and names this schedule.
    newest_first = sorted(backups_dir().glob("kasa_backup_*_scheduled.7z"), reverse=True)
    good = [p for p in newest_first if parse_name(p.name) and _schedule_of(p) == schedule.pk]
    removed = []
    for path in good[max(schedule.keep_last, 1) :]:
        if parse_name(path.name)[0] < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    if removed:
        audit_record("backup.retention", target=schedule, details={"deleted": removed})
    return removed


def _schedule_of(path) -> int | None:
    try:
        return archive.read_manifest(path).get("schedule_id")
    except archive.ArchiveError:
        return None  # unreadable archives are left for a person to look at
