"""Admin for export jobs and schedules; edits go through the same checks as the API."""

from django import forms
from django.contrib import admin, messages

from .models import ExportJob, ExportSchedule

EDITABLE = ("name", "schedule", "export_config", "delivery", "enabled")


class ExportScheduleForm(forms.ModelForm):
    """Edits get the same checks as the API (cron, export config, delivery)."""

    class Meta:
        model = ExportSchedule
        fields = EDITABLE

    def clean(self):
        from .errors import InvalidExportRequest
        from .schedules import _validated

        data = super().clean()
        try:
            self.validated = _validated(self.instance.user, {k: data.get(k) for k in EDITABLE})
        except InvalidExportRequest as exc:
            field = exc.context.get("field", "").split(".")[0]
            raise forms.ValidationError(
                {field if field in EDITABLE else None: exc.message}
            ) from exc
        return data


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "export_type", "format", "status", "progress", "record_count",
                    "file_size", "created_at", "expires_at")  # fmt: skip
    list_filter = ("status", "export_type", "format", "compression")
    search_fields = ("id", "user__username", "error")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    actions = ["retry_failed"]
    readonly_fields = ("id", "user", "schedule", "export_type", "format", "compression", "config",
                       "status", "progress", "error", "attempts", "estimated_records", "record_count",
                       "file_name", "file_size", "retention_days", "created_at", "started_at",
                       "heartbeat_at", "completed_at", "expiry_notified_at", "file_deleted_at")  # fmt: skip
    fields = readonly_fields[:-2] + ("expires_at",) + readonly_fields[-2:]

    def has_add_permission(self, request):
        return False  # exports are created through the API, which checks limits

    @admin.action(description="Retry failed exports")
    def retry_failed(self, request, queryset):
        from . import services

        failed = queryset.filter(status=ExportJob.Status.FAILED)
        for job in failed:
            services.export_retry(job, actor=request.user, request=request)
        self.message_user(
            request, f"Re-queued {failed.count()} failed export(s).", messages.SUCCESS
        )


@admin.register(ExportSchedule)
class ExportScheduleAdmin(admin.ModelAdmin):
    form = ExportScheduleForm
    list_display = (
        "name",
        "id",
        "user",
        "schedule",
        "timezone",
        "enabled",
        "next_run_at",
        "last_run_at",
    )
    list_filter = ("enabled", "timezone")
    search_fields = ("id", "name", "user__username")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = (
        "id",
        "user",
        "next_run_at",
        "last_run_at",
        "last_export",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False  # schedules belong to a user and are created through the API

    def save_model(self, request, obj, form, change):
        from .schedules import schedule_update

        schedule_update(obj, user=request.user, data=form.cleaned_data, request=request)
