"""The /api/exports/* endpoints: thin views over services, selectors and schedules."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import has_permission
from kasamonitor.ranges import SCHEMA as RANGE_SCHEMA
from security.services import audit_record

from . import files, schedules, selectors, services
from . import serializers as s
from .errors import ExportPermissionDenied, InvalidExportRequest
from .personal import personal_data
from .preview import export_preview, request_from_query


class CanExportData(BasePermission):
    """DATA_EXPORT (accounts permission 'data.export') on every export endpoint, refusals audited."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not has_permission(user, "data.export"):
            audit_record("PERMISSION_DENIED", request=request, outcome="failure", severity="warning",
                         target_type="exports", details={"user_id": user.pk, "path": request.path,
                                                          "required_permission": "DATA_EXPORT"})  # fmt: skip
            raise ExportPermissionDenied()
        return True


class ExportApi(APIView):
    permission_classes = [CanExportData]


def _page_param(query, name: str, default: int, high: int) -> int:
    text = query.get(name, str(default))
    if (
        not (text.isascii() and text.isdigit())
        or int(text) > high
        or (name == "limit" and int(text) < 1)
    ):
        raise InvalidExportRequest(f"{name} must be a whole number from 0 to {high}.", name)
    return int(text)


class FormatsApi(ExportApi):
    @extend_schema(responses=s.ExportFormatsSerializer, tags=["exports"])
    def get(self, request):
        return Response({"formats": selectors.formats()})


class DevicesApi(ExportApi):
    @extend_schema(responses=s.ExportDevicesSerializer, tags=["exports"])
    def get(self, request):
        return Response(s.ExportDevicesSerializer({"devices": selectors.exportable_devices()}).data)


class MetricsApi(ExportApi):
    @extend_schema(responses=s.ExportMetricsSerializer, tags=["exports"])
    def get(self, request):
        return Response({"metrics": selectors.metrics()})


class CreateApi(ExportApi):
    @extend_schema(
        request=s.ExportCreateSerializer,
        responses={202: s.ExportCreatedSerializer},
        tags=["exports"],
    )
    def post(self, request):
        job = services.export_create(user=request.user, data=request.data, request=request)
        return Response(s.ExportCreatedSerializer(job).data, status=202)


class HistoryApi(ExportApi):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int),
                    OpenApiParameter("status", str), OpenApiParameter("export_type", str)],
        responses=s.ExportHistorySerializer, tags=["exports"],
    )  # fmt: skip
    def get(self, request):
        q = request.query_params
        page = selectors.export_history(
            request.user, limit=_page_param(q, "limit", 50, 500), offset=_page_param(q, "offset", 0, 10**9),
            status=q.get("status", ""), export_type=q.get("export_type", ""),
        )  # fmt: skip
        return Response(s.ExportHistorySerializer(page).data)


class DetailApi(ExportApi):
    @extend_schema(responses=s.ExportSerializer, tags=["exports"])
    def get(self, request, export_id):
        job = services.export_get(export_id, user=request.user, request=request)
        return Response(s.ExportSerializer(job).data)

    @extend_schema(responses=s.ExportDeletedSerializer, tags=["exports"])
    def delete(self, request, export_id):
        job = services.export_get(export_id, user=request.user, request=request)
        deleted_at = services.export_delete(job, user=request.user, request=request)
        body = {
            "message": "Export deleted successfully",
            "export_id": export_id,
            "deleted_at": deleted_at,
        }
        return Response(s.ExportDeletedSerializer(body).data)


class RetryApi(ExportApi):
    @extend_schema(request=None, responses={202: s.ExportSerializer}, tags=["exports"])
    def post(self, request, export_id):
        job = services.export_get(export_id, user=request.user, request=request)
        job = services.export_retry(job, actor=request.user, request=request)
        return Response(s.ExportSerializer(job).data, status=202)


class DownloadApi(ExportApi):
    @extend_schema(
        responses={
            **{(200, mime): OpenApiTypes.BINARY for mime in files.media_types()},
            409: OpenApiResponse(description="EXPORT_NOT_READY: still queued or running."),
            410: OpenApiResponse(description="EXPORT_EXPIRED: the file is gone."),
        },
        tags=["exports"],
    )
    def get(self, request, export_id):
        job = services.export_get(export_id, user=request.user, request=request)
        path, name, mime = services.export_file(job, user=request.user, request=request)
        return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=mime)


class PreviewApi(ExportApi):
    @extend_schema(
        parameters=[OpenApiParameter(n, str) for n in ("export_type", "devices", "fields", "aggregation",
                    "date_range", "timezone", "grouping", "breakdown_by")]
        + [OpenApiParameter(n, RANGE_SCHEMA) for n in ("start", "end")] + [OpenApiParameter("limit", int)],
        responses=s.ExportPreviewSerializer, tags=["exports"],
    )  # fmt: skip
    def get(self, request):
        data, limit = request_from_query(request.query_params)
        return Response(export_preview(user=request.user, data=data, limit=limit))


class StatsApi(ExportApi):
    @extend_schema(responses=s.ExportStatsSerializer, tags=["exports"])
    def get(self, request):
        return Response(selectors.export_stats(request.user))


class PersonalDataApi(ExportApi):
    @extend_schema(responses=s.PersonalDataSerializer, tags=["exports"])
    def get(self, request):
        data = personal_data(request.user)
        audit_record("DATA_EXPORTED", request=request, target=request.user,
                     details={"export_type": "personal_data", "format": "json"})  # fmt: skip
        return Response(data)


def _schedule_out(schedule) -> dict:
    data = s.ExportScheduleSerializer(schedule).data
    data["last_export_id"] = schedule.last_export_id
    return data


class ScheduleCreateApi(ExportApi):
    @extend_schema(
        request=s.ExportScheduleInputSerializer,
        responses={201: s.ExportScheduleSerializer},
        tags=["exports"],
    )
    def post(self, request):
        schedule = schedules.schedule_create(user=request.user, data=request.data, request=request)
        return Response(_schedule_out(schedule), status=201)


class SchedulesApi(ScheduleCreateApi):
    @extend_schema(
        responses=s.ExportSchedulesSerializer,
        tags=["exports"],
        operation_id="exports_schedules_list",
    )
    def get(self, request):
        items = list(selectors.visible_schedules(request.user))
        return Response({"schedules": [_schedule_out(x) for x in items], "total": len(items)})


class ScheduleDetailApi(ExportApi):
    @extend_schema(responses=s.ExportScheduleSerializer, tags=["exports"])
    def get(self, request, schedule_id):
        return Response(_schedule_out(schedules.schedule_get(schedule_id, user=request.user)))

    @extend_schema(
        request=s.ExportScheduleInputSerializer,
        responses=s.ExportScheduleSerializer,
        tags=["exports"],
    )
    def put(self, request, schedule_id):
        schedule = schedules.schedule_get(schedule_id, user=request.user)
        schedule = schedules.schedule_update(
            schedule, user=request.user, data=request.data, request=request
        )
        return Response(_schedule_out(schedule))

    @extend_schema(
        request=s.ExportScheduleInputSerializer,
        responses=s.ExportScheduleSerializer,
        tags=["exports"],
    )
    def patch(self, request, schedule_id):
        return self.put(request, schedule_id)

    @extend_schema(responses=s.ScheduleDeletedSerializer, tags=["exports"])
    def delete(self, request, schedule_id):
        schedule = schedules.schedule_get(schedule_id, user=request.user)
        schedules.schedule_delete(schedule, user=request.user, request=request)
        return Response({"message": "Schedule deleted successfully", "schedule_id": schedule_id})
