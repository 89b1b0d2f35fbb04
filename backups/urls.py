"""The backups API's routes: /api/backups*."""

from django.urls import path

from . import api

# Fixed paths come before "<filename>" so "schedules" or "progress" is never taken for a name.
urlpatterns = [
    path("api/backups", api.BackupListApi.as_view(), name="backup-list"),
    path("api/backups/create", api.BackupCreateApi.as_view(), name="backup-create"),
    path("api/backups/progress", api.BackupProgressApi.as_view(), name="backup-progress"),
    path("api/backups/restore", api.BackupRestoreApi.as_view(), name="backup-restore"),
    path("api/backups/schedules", api.ScheduleListApi.as_view(), name="backup-schedules"),
    path(
        "api/backups/schedules/<int:schedule_id>",
        api.ScheduleDetailApi.as_view(),
        name="backup-schedule",
    ),
    path(
        "api/backups/<str:filename>/download",
        api.BackupDownloadApi.as_view(),
        name="backup-download",
    ),
    path("api/backups/<str:filename>", api.BackupDeleteApi.as_view(), name="backup-delete"),
]
