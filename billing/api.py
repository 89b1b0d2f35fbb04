"""The billing API: thin views over billing.selectors, billing.costs and billing.services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission, HasPermissionFor
from billing import costs, selectors, services
from billing import serializers as s
from billing.plans import plan_to_api
from kasamonitor.ranges import SCHEMA as RANGE_SCHEMA
from kasamonitor.renderers import json_response

VIEW_COSTS = HasPermission("costs.view")

DATE_PARAMS = [
    OpenApiParameter(
        "start_date", RANGE_SCHEMA,
        description="first local day, or the first hour a date-time falls in (default: 1st of month)",
    ),
    OpenApiParameter(
        "end_date", RANGE_SCHEMA,
        description="last local day, included, or a date-time: up to the end of its hour (default: today)",
    ),
]  # fmt: skip


def plan_body(saved: selectors.SavedPlan) -> dict:
    return {
        "id": saved.id,
        "is_default": saved.id is None,
        "effective_from": saved.effective_from.astimezone(UTC),
        **plan_to_api(saved.plan),
    }


class RatesApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"POST": "rates.edit", "*": "rates.view"}

    @extend_schema(responses=s.RatePlanOut, summary="The rate plan in force")
    def get(self, request):
        return Response(plan_body(selectors.plan_in_force()))

    @extend_schema(
        request=s.RatePlanIn,
        responses={201: s.RatePlanOut},
        summary="Save a new plan, effective now or at effective_date",
    )
    def post(self, request):
        row = services.rate_plan_save(request.data, actor=request.user, request=request)
        saved = selectors.SavedPlan(row.pk, row.effective_from, selectors.load_plan(row.plan))
        return Response(plan_body(saved), status=status.HTTP_201_CREATED)


def intensity_body(setting: selectors.GridSetting) -> dict:
    return {
        **setting.intensity.to_api(),
        "is_default": setting.is_default,
        "timezone": settings.TIME_ZONE,
        "updated_at": setting.updated_at,
        "table": [list(row) for row in setting.intensity.table],
    }


class GridIntensityApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"PUT": "rates.edit", "*": "rates.view"}

    @extend_schema(responses=s.GridIntensityOut, summary="The grid's carbon intensity")
    def get(self, request):
        return Response(intensity_body(selectors.grid_intensity()))

    @extend_schema(
        request=s.GridIntensityIn,
        responses=s.GridIntensityOut,
        summary="Replace the grid's carbon intensity (re-applied to all history)",
    )
    def put(self, request):
        services.grid_intensity_save(request.data, actor=request.user, request=request)
        return Response(intensity_body(selectors.grid_intensity()))


class CostsApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(parameters=DATE_PARAMS, responses=s.CostsOut, summary="Costs of a date range")
    def get(self, request):
        return json_response(costs.costs_report(costs.span_from_params(request.query_params)))


class CostsCompareApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(
        parameters=DATE_PARAMS,
        responses=s.CompareOut,
        summary="What each saved plan would have cost (at most 92 days)",
    )
    def get(self, request):
        return Response(costs.compare_plans(costs.span_from_params(request.query_params)))

    @extend_schema(
        request=s.CompareIn,
        responses=s.CompareOut,
        summary="Also price a plan given in the request (at most 92 days)",
    )
    def post(self, request):
        body = request.data if isinstance(request.data, Mapping) else {}
        plan = services.validate_plan(body.get("plan"), prefix="plan.")
        params = {**request.query_params.dict(), **body}
        return Response(costs.compare_plans(costs.span_from_params(params), extra=plan))
