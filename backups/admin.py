"""Admin for backup schedules and jobs."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path

from accounts.permissions import has_permission

from . import schedules, services
from .models import BackupJob, BackupSchedule
from .tasks import run_scheduled_backup


@admin.register(BackupSchedule)
class BackupScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "cron", "enabled", "retention_days", "keep_last", "last_run_at",
                    "updated_at"]  # fmt: skip
    list_filter = ["enabled"]
    search_fields = ["name", "cron"]
    readonly_fields = ["periodic_task", "last_run_at", "created_at", "updated_at"]
    actions = ["run_now", "backup_now"]

    def save_model(self, request, obj, form, change):
        schedules.schedule_save(obj, actor=request.user, request=request)

    def delete_model(self, request, obj):
        schedules.schedule_delete(obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for schedule in queryset:
            schedules.schedule_delete(schedule, actor=request.user, request=request)

    @admin.action(description="Run the selected schedules now (with retention)")
    def run_now(self, request, queryset):
        for schedule in queryset:
            run_scheduled_backup.delay(schedule.pk)
        self.message_user(request, f"{queryset.count()} scheduled backup(s) queued.")

    @admin.action(description="Run a backup now (manual, with the schedule's options)")
    def backup_now(self, request, queryset):
        for schedule in queryset:
            services.backup_job_start(kind="manual", options=schedule.options, actor=request.user)
        self.message_user(request, "Backup queued: see Backup jobs for its progress.")


@admin.register(BackupJob)
class BackupJobAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "status", "progress", "filename", "size", "created_at"]
    list_filter = ["status", "type"]
    search_fields = ["filename", "error"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in BackupJob._meta.fields]
    change_list_template = "admin/backups/backupjob/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.backup_now_view)
        return [path("backup-now/", view, name="backups_backupjob_backup_now"), *super().get_urls()]

    def backup_now_view(self, request):
        """The "Back up now" button: queue a manual backup (database + configuration)."""
        if request.method == "POST" and has_permission(request.user, "system.backup"):
            job = services.backup_job_start(kind="manual", actor=request.user)
            self.message_user(request, f"Backup job {job.pk} queued.", messages.SUCCESS)
        return redirect("admin:backups_backupjob_changelist")
