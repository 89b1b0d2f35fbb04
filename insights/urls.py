"""The insights API's routes: /api/insights/*."""

from django.urls import path

from insights import api

urlpatterns = [
    path("api/insights/standby", api.StandbyApi.as_view(), name="insights-standby"),
    path(
        "api/insights/bill-projection",
        api.BillProjectionApi.as_view(),
        name="insights-bill-projection",
    ),
    path("api/insights/changes", api.ChangesApi.as_view(), name="insights-changes"),
    path("api/insights/runs", api.RunsApi.as_view(), name="insights-runs"),
    path(
        "api/insights/appliances/<str:key>", api.ApplianceApi.as_view(), name="insights-appliance"
    ),
]
