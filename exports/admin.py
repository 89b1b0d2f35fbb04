from django.contrib import admin, messages

from .models import ExportJob, ExportSchedule


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
