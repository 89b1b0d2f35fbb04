"""The insights API: thin views over insights.selectors (and the lazy projection check)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission, HasPermissionFor
from devices import selectors as device_selectors
from insights import selectors, services
from insights import serializers as s
from kasamonitor.drf import validated
from kasamonitor.renderers import json_response

VIEW_COSTS = HasPermission("costs.view")  # the same rule as /api/costs


class StandbyApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(
        parameters=[s.StandbyQuery], responses=s.StandbyOut, tags=["insights"],
        summary="Always-on power per device and household, and its yearly cost",
    )  # fmt: skip
    def get(self, request):
        query = validated(s.StandbyQuery, request.query_params)
        return json_response(selectors.standby_report(**query))


class BillProjectionApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(
        parameters=[s.ProjectionQuery], responses=s.ProjectionOut, tags=["insights"],
        summary="The current billing period so far and projected to its end",
    )  # fmt: skip
    def get(self, request):
        query = validated(s.ProjectionQuery, request.query_params)
        services.record_closed_period()
        return json_response(selectors.bill_projection(**query))


class ChangesApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(
        parameters=[s.ChangesQuery], responses=s.ChangesOut, tags=["insights"],
        summary="What changed: a period against the previous one and a year before",
    )  # fmt: skip
    def get(self, request):
        query = validated(s.ChangesQuery, request.query_params)
        return json_response(selectors.changes(**query))


class RunsApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(
        parameters=[s.RunsQuery], tags=["insights"],
        responses={200: s.RunsOut, 404: OpenApiResponse(description="No device with this id, IP or MAC.")},
        summary="A device's appliance runs: start, duration, kWh and cost; the last 10 runs' "
        "averages and the cheapest hour of tomorrow to start one",
    )  # fmt: skip
    def get(self, request):
        query = validated(s.RunsQuery, request.query_params)
        device = device_selectors.device_get(query["device_id"])
        return json_response(selectors.appliance_runs(device, limit=query["limit"]))


class ApplianceApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "costs.view", "*": "devices.edit"}

    @extend_schema(
        responses=s.ApplianceOut, tags=["insights"],
        summary="A device's appliance run settings (null: its runs are not detected)",
    )  # fmt: skip
    def get(self, request, key):
        device = device_selectors.device_get(key)
        return json_response(selectors.appliance_settings(device))

    @extend_schema(
        request=s.ApplianceSettingsIn, responses=s.ApplianceOut, tags=["insights"],
        summary="Detect the device's runs with these settings (a change looks again)",
    )  # fmt: skip
    def put(self, request, key):
        data = validated(s.ApplianceSettingsIn, request.data)
        device = device_selectors.device_get(key)
        services.appliance_settings_save(device=device, data=data, actor=request.user)
        return json_response(selectors.appliance_settings(device))

    @extend_schema(responses={204: None}, tags=["insights"], summary="Stop detecting runs")
    def delete(self, request, key):
        device = device_selectors.device_get(key)
        services.appliance_settings_remove(device=device, actor=request.user)
        return Response(status=204)
