"""Backup schedules and backup jobs (the archives themselves are files in the data dir)."""

from __future__ import annotations

from croniter import croniter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

COMPRESSIONS = ("none", "normal", "compatible", "high")


class BackupSchedule(models.Model):
    """A cron schedule for automatic backups; mirrored by one django-celery-beat PeriodicTask."""

    name = models.CharField(max_length=100)
    cron = models.CharField(max_length=100, help_text="Five fields: minute hour day month weekday.")
    enabled = models.BooleanField(default=True)
    retention_days = models.PositiveIntegerField(
        default=30,
        help_text="After a completed run, this schedule's backups older than this are deleted "
        "(except the newest keep_last); 0 keeps them all.",
    )
    keep_last = models.PositiveIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="This schedule's newest good backups that are kept whatever their age.",
    )
    options = models.JSONField(default=dict, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="backup_schedule",
    )
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.cron})"

    def clean(self) -> None:
        problems = schedule_problems(self.cron, self.options)
        if problems:
            raise ValidationError(problems)


def schedule_problems(cron: str, options) -> dict[str, str]:
    """Return {field: message} for what is wrong with a schedule's cron and options."""
    problems = {}
    fields = str(cron or "").split()
    if len(fields) != 5 or not croniter.is_valid(" ".join(fields)):
        problems["cron"] = f"'{cron}' is not a five-field cron expression."
    if not isinstance(options, dict):
        problems["options"] = "Must be a JSON object."
    elif options.get("compression", "normal") not in COMPRESSIONS:
        problems["options"] = f"compression must be one of {', '.join(COMPRESSIONS)}."
    return problems


class BackupJob(models.Model):
    """One run of backup creation, so the API and admin can show its progress."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    type = models.CharField(max_length=16, default="manual")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=64, blank=True)
    options = models.JSONField(default=dict, blank=True)
    filename = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    schedule = models.ForeignKey(
        BackupSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Backup job {self.pk} ({self.type}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)
