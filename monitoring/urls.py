"""Routes of the monitoring app; every path works with and without a trailing slash."""

from django.urls import re_path

from . import api

ID = r"(?P<pk>[0-9]+)"


def route(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view.as_view(), name=name)


urlpatterns = [
    route("api/alerts", api.AlertListApi, "alert-list"),
    route("api/alerts/summary", api.AlertSummaryApi, "alert-summary"),
    route("api/alerts/acknowledge-all", api.AlertAcknowledgeAllApi, "alert-acknowledge-all"),
    route("api/alerts/rules", api.RuleListApi, "alert-rule-list"),
    route(f"api/alerts/rules/{ID}", api.RuleDetailApi, "alert-rule-detail"),
    route("api/alerts/channels", api.ChannelListApi, "alert-channel-list"),
    route(f"api/alerts/channels/{ID}", api.ChannelDetailApi, "alert-channel-detail"),
    route(f"api/alerts/channels/{ID}/test", api.ChannelTestApi, "alert-channel-test"),
    route(f"api/alerts/{ID}", api.AlertDetailApi, "alert-detail"),
    route(f"api/alerts/{ID}/acknowledge", api.AlertAcknowledgeApi, "alert-acknowledge"),
    route("api/cameras", api.CameraListApi, "camera-list"),
    route("api/cameras/status", api.CameraStatusApi, "camera-status"),
    route(f"api/cameras/{ID}", api.CameraDetailApi, "camera-detail"),
    route(f"api/cameras/{ID}/stream", api.CameraStreamApi, "camera-stream"),
    route(f"api/cameras/{ID}/test", api.CameraTestApi, "camera-test"),
    route("api/hosts", api.HostListApi, "host-list"),
    route("api/hosts/status", api.HostStatusApi, "host-status"),
    route(f"api/hosts/{ID}", api.HostDetailApi, "host-detail"),
    route(f"api/hosts/{ID}/check", api.HostCheckApi, "host-check"),
]
