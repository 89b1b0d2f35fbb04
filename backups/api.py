"""Thin DRF views for /api/backups*: validate input, call one service, render."""

from __future__ import annotations

import json

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission

from . import schedules, services
from .archive import COMPRESSION
from .models import BackupJob, BackupSchedule
from .restore import backup_restore, backup_restore_upload

CanBackup = HasPermission("system.backup")


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


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


class BackupListApi(APIView):
    permission_classes = [CanBackup]

    @extend_schema(responses=BackupOutput(many=True), tags=["backups"])
    def get(self, request):
        return Response(BackupOutput(services.backup_list(), many=True).data)


class BackupCreateInput(BackupOptions):
    type = serializers.ChoiceField(choices=["manual"], default="manual")
    password = serializers.CharField(required=False, allow_blank=True, write_only=True)


class BackupCreateApi(APIView):
    permission_classes = [CanBackup]

    @extend_schema(request=BackupCreateInput, responses={202: JobOutput}, tags=["backups"])
    def post(self, request):
        data = validated(BackupCreateInput, request.data)
        password = data.pop("password", "") or None
        kind = data.pop("type")
        job = services.backup_job_start(
            kind=kind, options=data, password=password, actor=request.user
        )
        return Response(JobOutput(job).data, status=status.HTTP_202_ACCEPTED)


class BackupProgressApi(APIView):
    permission_classes = [CanBackup]

    @extend_schema(
        parameters=[OpenApiParameter("job_id", int, required=False)],
        responses=PolymorphicProxySerializer(
            "BackupProgress", serializers=[JobOutput, IdleOutput], resource_type_field_name=None
        ),
        tags=["backups"],
    )
    def get(self, request):
        job_id = request.query_params.get("job_id")
        text = str(job_id)
        job = services.backup_job_current(int(text) if text.isascii() and text.isdigit() else None)
        if job is None:
            return Response({"job_id": None, "status": "idle", "progress": 0, "in_progress": False})
        return Response(JobOutput(job).data)


class BackupDownloadApi(APIView):
    permission_classes = [CanBackup]

    @extend_schema(responses={(200, "application/x-7z-compressed"): bytes}, tags=["backups"])
    def get(self, request, filename):
        path = services.backup_path(filename)
        return FileResponse(
            open(path, "rb"),  # noqa: SIM115 (FileResponse closes it)
            as_attachment=True,
            filename=path.name,
            content_type="application/x-7z-compressed",
        )


class BackupDeleteApi(APIView):
    permission_classes = [CanBackup]

    @extend_schema(responses=BackupMessageOutput, tags=["backups"])
    def delete(self, request, filename):
        services.backup_delete(filename, actor=request.user, request=request)
        return Response({"success": True, "message": f"Backup {filename} deleted."})


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


class BackupRestoreApi(APIView):
    permission_classes = [CanBackup]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": BackupRestoreInput},
        responses=inline_serializer(
            "RestoreResult",
            {
                "success": serializers.BooleanField(),
                "message": serializers.CharField(),
                "restored": serializers.ListField(child=serializers.CharField()),
                "safety_backup": serializers.CharField(),
            },
        ),
        tags=["backups"],
    )
    def post(self, request):
        data = validated(BackupRestoreInput, request.data)
        password = data.get("password") or None
        if data.get("file"):
            result = backup_restore_upload(
                data["file"], password=password, actor=request.user, request=request,
                **data["options"],
            )  # fmt: skip
        else:
            path = services.backup_path(data["filename"])
            result = self._restore(request, path, password, data["options"])
        return Response({"success": True, "message": "Backup restored.", **result})

    @staticmethod
    def _restore(request, path, password, options) -> dict:
        return backup_restore(
            path, password=password, actor=request.user, request=request, **options
        )


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


class ScheduleListApi(APIView):
    permission_classes = [CanBackup]

    @extend_schema(responses=ScheduleSerializer(many=True), tags=["backups"])
    def get(self, request):
        return Response(ScheduleSerializer(BackupSchedule.objects.all(), many=True).data)

    @extend_schema(
        request=ScheduleSerializer, responses={201: ScheduleSerializer}, tags=["backups"]
    )
    def post(self, request):
        data = validated(ScheduleSerializer, request.data)
        schedule = schedules.schedule_save(
            BackupSchedule(**data), actor=request.user, request=request
        )
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ScheduleDetailApi(APIView):
    permission_classes = [CanBackup]

    @extend_schema(request=ScheduleSerializer, responses=ScheduleSerializer, tags=["backups"])
    def put(self, request, schedule_id: int):
        schedule = get_object_or_404(BackupSchedule, pk=schedule_id)
        serializer = ScheduleSerializer(schedule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        for key, value in serializer.validated_data.items():
            setattr(schedule, key, value)
        schedule = schedules.schedule_save(schedule, actor=request.user, request=request)
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(responses=BackupMessageOutput, tags=["backups"])
    def delete(self, request, schedule_id: int):
        schedule = get_object_or_404(BackupSchedule, pk=schedule_id)
        schedules.schedule_delete(schedule, actor=request.user, request=request)
        return Response({"success": True, "message": "Backup schedule deleted."})
