"""Request shapes (for the OpenAPI schema; config.parse checks them) and response shapes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kasamonitor.ranges import RangeBoundField

from .models import ExportType
from .request import AGGREGATIONS, BREAKDOWNS, GROUPINGS, REPORT_SECTIONS


class ExportDateRangeSerializer(serializers.Serializer):
    start = RangeBoundField(help_text="naive date-times on the clock of options.timezone")
    end = RangeBoundField(end=True, help_text="a date includes the whole day")


class ExportCustomFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    formula = serializers.CharField(help_text="Arithmetic over metric fields: + - * / ( ) numbers")
    unit = serializers.CharField(required=False)


class ExportCreateSerializer(serializers.Serializer):
    export_type = serializers.ChoiceField(ExportType.choices, default="device_data")
    format = serializers.ChoiceField(["csv", "json", "excel", "pdf"], default="csv")
    date_range = ExportDateRangeSerializer(
        required=False, help_text="Or a preset name, e.g. last_month"
    )
    devices = serializers.ListField(child=serializers.CharField(), required=False)
    fields = serializers.ListField(child=serializers.CharField(), required=False)
    aggregation = serializers.ChoiceField(AGGREGATIONS, required=False)
    aggregation_functions = serializers.DictField(child=serializers.CharField(), required=False)
    filters = serializers.DictField(required=False)
    options = serializers.DictField(required=False)
    privacy_options = serializers.DictField(child=serializers.BooleanField(), required=False)
    performance_options = serializers.DictField(required=False)
    compression = serializers.ChoiceField(["zip", "gzip"], required=False)
    custom_fields = ExportCustomFieldSerializer(many=True, required=False)
    grouping = serializers.ChoiceField(GROUPINGS, required=False)
    breakdown_by = serializers.ListField(child=serializers.ChoiceField(BREAKDOWNS), required=False)
    include_charts = serializers.BooleanField(required=False)
    report_sections = serializers.ListField(
        child=serializers.ChoiceField(REPORT_SECTIONS), required=False
    )
    event_types = serializers.ListField(child=serializers.CharField(), required=False)
    severity_levels = serializers.ListField(child=serializers.CharField(), required=False)
    users = serializers.ListField(child=serializers.CharField(), required=False)


class ExportRangeUsedSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="excluded")
    preset = serializers.CharField(
        allow_null=True, help_text="the preset used (last_30_days when none was given); null: dates"
    )


@extend_schema_field(ExportRangeUsedSerializer)
class RangeUsedField(serializers.Field):
    """The range an export covers, as it was resolved when the export was created."""

    def __init__(self, **kwargs):
        super().__init__(source="config", read_only=True, **kwargs)

    def to_representation(self, config) -> dict | None:
        return config.get("date_range")


class ExportCreatedSerializer(serializers.Serializer):
    export_id = serializers.CharField(source="id")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    user_id = serializers.IntegerField()
    estimated_completion = serializers.SerializerMethodField()
    estimated_records = serializers.IntegerField()
    download_url = serializers.CharField()
    date_range = RangeUsedField(allow_null=True)  # null: an export with no date range (audit)

    def get_estimated_completion(self, job) -> str:
        from datetime import timedelta

        seconds = 5 + job.estimated_records / 100_000
        return serializers.DateTimeField().to_representation(
            job.created_at + timedelta(seconds=seconds)
        )


class ExportSerializer(serializers.Serializer):
    export_id = serializers.CharField(source="id")
    export_type = serializers.CharField()
    format = serializers.CharField()
    compression = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    file_size = serializers.IntegerField(allow_null=True)
    record_count = serializers.IntegerField(allow_null=True)
    retention_days = serializers.IntegerField()
    expires_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.CharField()
    schedule_id = serializers.CharField(allow_null=True)
    date_range = RangeUsedField(allow_null=True)  # null: an export with no date range (audit)


class ExportHistorySerializer(serializers.Serializer):
    exports = ExportSerializer(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()


class ExportDeletedSerializer(serializers.Serializer):
    message = serializers.CharField()
    export_id = serializers.CharField()
    deleted_at = serializers.DateTimeField()


class ScheduleDeletedSerializer(serializers.Serializer):
    message = serializers.CharField()
    schedule_id = serializers.CharField()


class ExportFormatSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    mime_type = serializers.CharField()
    extension = serializers.CharField()


class ExportFormatsSerializer(serializers.Serializer):
    formats = ExportFormatSerializer(many=True)


class ExportDeviceSerializer(serializers.Serializer):
    device_ip = serializers.CharField()
    device_name = serializers.CharField()
    device_type = serializers.CharField()
    device_id = serializers.CharField()
    id = serializers.IntegerField()
    last_seen = serializers.DateTimeField(allow_null=True)
    data_points = serializers.IntegerField()


class ExportDevicesSerializer(serializers.Serializer):
    devices = ExportDeviceSerializer(many=True)


class ExportMetricSerializer(serializers.Serializer):
    field = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    data_type = serializers.CharField()
    unit = serializers.CharField()


class ExportMetricsSerializer(serializers.Serializer):
    metrics = ExportMetricSerializer(many=True)


class ExportPreviewSerializer(serializers.Serializer):
    preview = serializers.ListField(child=serializers.DictField())
    columns = serializers.ListField(child=serializers.CharField())
    sections = serializers.ListField(child=serializers.CharField())
    total_records = serializers.IntegerField()
    date_range = ExportRangeUsedSerializer(help_text="the range the preview covers")
    estimated_file_size = serializers.CharField()
    preview_note = serializers.CharField()


class ExportStatsSerializer(serializers.Serializer):
    total_exports = serializers.IntegerField()
    exports_this_month = serializers.IntegerField()
    total_data_exported = serializers.CharField()
    total_data_exported_bytes = serializers.IntegerField()
    most_popular_format = serializers.CharField(allow_null=True)
    export_types = serializers.DictField(child=serializers.IntegerField())
    formats = serializers.DictField(child=serializers.IntegerField())
    user_exports_remaining = serializers.IntegerField()


class ExportScheduleInputSerializer(serializers.Serializer):
    name = serializers.CharField()
    schedule = serializers.CharField(help_text="cron, e.g. '0 9 1 * *'")
    export_config = serializers.DictField(help_text="A create request; date_range may be a preset")
    delivery = serializers.DictField(
        required=False, help_text="{method: email, recipients, subject, link}"
    )
    enabled = serializers.BooleanField(required=False)


class ExportScheduleSerializer(serializers.Serializer):
    schedule_id = serializers.CharField(source="id")
    name = serializers.CharField()
    schedule = serializers.CharField()
    timezone = serializers.CharField()
    export_config = serializers.DictField()
    delivery = serializers.DictField()
    enabled = serializers.BooleanField()
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_run_at = serializers.DateTimeField(allow_null=True)
    last_export_id = serializers.CharField(allow_null=True)
    user_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ExportSchedulesSerializer(serializers.Serializer):
    schedules = ExportScheduleSerializer(many=True)
    total = serializers.IntegerField()


class PersonalDataSerializer(serializers.Serializer):
    generated_at = serializers.CharField()
    profile = serializers.DictField()
    sessions = serializers.ListField(child=serializers.DictField())
    audit_events = serializers.ListField(child=serializers.DictField())
    exports = serializers.ListField(child=serializers.DictField())
    export_schedules = serializers.ListField(child=serializers.DictField())
