"""The exports API's routes: /api/exports/*."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/exports/formats", api.FormatsApi.as_view(), name="exports-formats"),
    path("api/exports/devices", api.DevicesApi.as_view(), name="exports-devices"),
    path("api/exports/metrics", api.MetricsApi.as_view(), name="exports-metrics"),
    path("api/exports/create", api.CreateApi.as_view(), name="exports-create"),
    path("api/exports/history", api.HistoryApi.as_view(), name="exports-history"),
    path("api/exports/preview", api.PreviewApi.as_view(), name="exports-preview"),
    path("api/exports/stats", api.StatsApi.as_view(), name="exports-stats"),
    path("api/exports/personal-data", api.PersonalDataApi.as_view(), name="exports-personal-data"),
    path("api/exports/schedule", api.ScheduleCreateApi.as_view(), name="exports-schedule-create"),
    path("api/exports/schedules", api.SchedulesApi.as_view(), name="exports-schedules"),
    path(
        "api/exports/schedules/<str:schedule_id>",
        api.ScheduleDetailApi.as_view(),
        name="exports-schedule",
    ),
    path(
        "api/exports/download/<str:export_id>", api.DownloadApi.as_view(), name="exports-download"
    ),
    path("api/exports/<str:export_id>/retry", api.RetryApi.as_view(), name="exports-retry"),
    path("api/exports/<str:export_id>", api.DetailApi.as_view(), name="exports-detail"),
]
