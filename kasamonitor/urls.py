"""The project's URL map: every app's routes, health, API schema and docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import schema  # noqa: F401 (the API schema's authentication; registers itself)

from . import health

admin.site.site_header = "Kasa Monitor"
admin.site.site_title = "Kasa Monitor"
admin.site.index_title = "Operator console"

urlpatterns = [
    path("health", health.Health.as_view(), name="health"),
    path("health/live", health.Live.as_view(), name="health-live"),
    path("health/ready", health.Ready.as_view(), name="health-ready"),
    path("api/health", health.ApiHealth.as_view(), name="api-health"),
    path("api/health/detailed", health.ApiHealthDetailed.as_view(), name="api-health-detailed"),
    path("api/system/status", health.SystemStatus.as_view(), name="system-status"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs pages with the CSP nonce on their inline script (security/headers.py).
    # The API schema's machinery is loaded here, with the URL map, not at Django's set-up:
    # the worker, which serves no URL, does not carry it (12 MiB).
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", template_name="security/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="security/redoc.html"),
        name="api-redoc",
    ),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("security.urls")),
    path("", include("system.urls")),
    path("", include("devices.urls")),
    path("", include("billing.urls")),
    path("", include("insights.urls")),
    path("", include("exports.urls")),
    path("", include("backups.urls")),
    path("", include("monitoring.urls")),
    path("", include("integrations.urls")),
    path("", include("web.urls")),
]

handler400 = "kasamonitor.errors.handler400"
handler403 = "kasamonitor.errors.handler403"
handler404 = "kasamonitor.errors.handler404"
handler500 = "kasamonitor.errors.handler500"
