"""Export jobs and export schedules (the files themselves are in the data dir)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_export_id() -> str:
    return f"export_{secrets.token_hex(8)}"


def new_schedule_id() -> str:
    return f"schedule_{secrets.token_hex(6)}"


class ExportType(models.TextChoices):
    DEVICE_DATA = "device_data"
    COST_ANALYSIS = "cost_analysis"
    SYSTEM_REPORT = "system_report"
    AUDIT_LOGS = "audit_logs"
    PERSONAL_DATA = "personal_data"
    INSIGHTS = "insights"


class ExportJob(models.Model):
    """One requested export: its configuration, progress and the file it produced."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        EXPIRED = "expired"

    id = models.CharField(primary_key=True, max_length=40, default=new_export_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    schedule = models.ForeignKey(
        "exports.ExportSchedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    export_type = models.CharField(max_length=32, choices=ExportType.choices)
    format = models.CharField(max_length=16)
    compression = models.CharField(max_length=8, blank=True)
    config = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    estimated_records = models.PositiveIntegerField(default=0)
    record_count = models.PositiveIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    retention_days = models.PositiveIntegerField(default=7)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.export_type}, {self.format}, {self.status})"

    @property
    def download_url(self) -> str:
        return f"/api/exports/download/{self.id}"


class ExportSchedule(models.Model):
    """A cron-driven export delivered by mail, e.g. a monthly device report."""

    id = models.CharField(primary_key=True, max_length=40, default=new_schedule_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_schedules"
    )
    name = models.CharField(max_length=120)
    schedule = models.CharField(max_length=120, help_text="Cron expression, e.g. '0 9 1 * *'.")
    timezone = models.CharField(max_length=64, default="UTC")
    export_config = models.JSONField(default=dict)
    delivery = models.JSONField(default=dict)
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_export = models.ForeignKey(
        ExportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schedule})"
