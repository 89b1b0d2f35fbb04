"""Serializers of the backups API: archives, jobs, restore options, schedules."""

from __future__ import annotations

import json

from rest_framework import serializers

from kasamonitor.drf import validated

from . import schedules
from .archive import COMPRESSION
from .models import BackupJob, BackupSchedule


class BackupOutput(serializers.Serializer):
    filename = serializers.CharField()
    size = serializers.IntegerField()
    created = serializers.DateTimeField()
    type = serializers.CharField()
    includes = serializers.ListField(child=serializers.CharField())
    encrypted = serializers.BooleanField()


class JobOutput(serializers.ModelSerializer):
    job_id = serializers.IntegerField(source="id")
    in_progress = serializers.SerializerMethodField()

    class Meta:
        model = BackupJob
        fields = ["job_id", "type", "status", "progress", "stage", "filename", "size", "error",
                  "in_progress", "created_at", "started_at", "finished_at"]  # fmt: skip

    def get_in_progress(self, job) -> bool:
        return not job.is_finished


class IdleOutput(serializers.Serializer):
    """The progress answer when there is no such (or no) backup job."""

    job_id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=["idle"])
    progress = serializers.IntegerField()
    in_progress = serializers.BooleanField()


class BackupOptions(serializers.Serializer):
    include_logs = serializers.BooleanField(default=False)
    include_exports = serializers.BooleanField(default=False)
    compression = serializers.ChoiceField(choices=list(COMPRESSION), default="normal")


class BackupMessageOutput(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class BackupCreateInput(BackupOptions):
    type = serializers.ChoiceField(choices=["manual"], default="manual")
    password = serializers.CharField(required=False, allow_blank=True, write_only=True)


class RestoreOptions(serializers.Serializer):
    restore_config = serializers.BooleanField(default=True)
    restore_database = serializers.BooleanField(default=True)


def _json_object(value) -> dict:
    """Multipart sends options as a JSON string, a JSON body as an object: accept both."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise serializers.ValidationError({"options": "Must be a JSON object."}) from None
    if not isinstance(value, dict):
        raise serializers.ValidationError({"options": "Must be a JSON object."})
    return value


class BackupRestoreInput(serializers.Serializer):
    file = serializers.FileField(required=False)
    filename = serializers.CharField(required=False, help_text="Restore a stored backup.")
    options = serializers.JSONField(
        required=False, help_text='JSON: {"restore_config": true, "restore_database": true}'
    )
    password = serializers.CharField(required=False, allow_blank=True, write_only=True)

    def validate(self, attrs):
        if not attrs.get("file") and not attrs.get("filename"):
            raise serializers.ValidationError({"file": "Upload a backup file."})
        attrs["options"] = validated(RestoreOptions, _json_object(attrs.get("options")))
        return attrs


class ScheduleSerializer(serializers.ModelSerializer):
    options = BackupOptions(required=False)
    next_run = serializers.SerializerMethodField()

    class Meta:
        model = BackupSchedule
        fields = ["id", "name", "cron", "enabled", "retention_days", "keep_last", "options",
                  "next_run", "last_run_at", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["last_run_at", "created_at", "updated_at"]

    def get_next_run(self, schedule) -> str | None:
        moment = schedules.next_run(schedule)
        return moment.isoformat() if moment else None

    def validate_cron(self, value: str) -> str:
        return schedules.cron_validate(value)
