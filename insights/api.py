"""The insights API: thin views over insights.selectors (and the lazy projection check)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from accounts.permissions import HasPermission
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
