"""The devices API's routes: /api/devices*, /api/device/*, /api/discover, /api/settings/network."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/devices", api.DeviceListApi.as_view(), name="devices"),
    path("api/devices/", api.DeviceListApi.as_view()),
    path("api/devices/manual", api.DeviceManualAddApi.as_view(), name="devices-manual"),
    path("api/devices/status", api.DeviceStatusApi.as_view(), name="devices-status"),
    path("api/devices/credentials", api.CloudAccountApi.as_view(), name="cloud-account"),
    path("api/devices/<str:key>", api.DeviceDetailApi.as_view(), name="device"),
    path("api/devices/<str:key>/poll", api.DevicePollApi.as_view(), name="device-poll"),
    path("api/devices/<str:key>/history", api.DeviceHistoryApi.as_view()),
    path("api/devices/<str:key>/stats", api.DeviceStatsApi.as_view()),
    path("api/devices/<str:key>/control", api.DeviceControlApi.as_view()),
    path("api/devices/<str:key>/credentials", api.DeviceCredentialsApi.as_view()),
    # kasa-monitor-api.md's IP routes (any key works there too)
    path("api/device/<str:key>", api.DeviceDetailApi.as_view(), name="device-by-ip"),
    path("api/device/<str:key>/history", api.DeviceHistoryApi.as_view(), name="device-history"),
    path("api/device/<str:key>/stats", api.DeviceStatsApi.as_view(), name="device-stats"),
    path("api/device/<str:key>/control", api.DeviceControlApi.as_view(), name="device-control"),
    path("api/discover", api.DiscoverApi.as_view(), name="discover"),
    path("api/settings/network", api.NetworkSettingsApi.as_view(), name="network-settings"),
]
