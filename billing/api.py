"""The billing API: thin views over billing.selectors, billing.costs and billing.services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission, HasPermissionFor
from billing import costs, selectors, services
from billing import serializers as s
from billing.errors import InvalidDateRange
from billing.plans import plan_to_api
from kasamonitor.renderers import json_response

VIEW_COSTS = HasPermission("costs.view")

DATE_PARAMS = [
    OpenApiParameter("start_date", date, description="first local day (default: 1st of month)"),
    OpenApiParameter("end_date", date, description="last local day, included (default: today)"),
]


def plan_body(saved: selectors.SavedPlan) -> dict:
    return {
        "id": saved.id,
        "is_default": saved.id is None,
        "effective_from": saved.effective_from.astimezone(UTC),
        **plan_to_api(saved.plan),
    }


def date_range(params: Mapping) -> tuple[date, date]:
    """start_date and end_date (YYYY-MM-DD); either one missing: this month so far."""
    first, last = _date(params, "start_date"), _date(params, "end_date")
    if first is None or last is None:
        this_month = costs.this_month_so_far()
        first, last = first or this_month[0], last or this_month[1]
    return first, last


def _date(params: Mapping, name: str) -> date | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidDateRange(f"{name} must be a date such as 2024-01-31.", field=name) from None


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


class CostsApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(parameters=DATE_PARAMS, responses=s.CostsOut, summary="Costs of a date range")
    def get(self, request):
        return json_response(costs.costs_report(*date_range(request.query_params)))


class CostsCompareApi(APIView):
    permission_classes = [VIEW_COSTS]

    @extend_schema(
        parameters=DATE_PARAMS,
        responses=s.CompareOut,
        summary="What each saved plan would have cost (at most 92 days)",
    )
    def get(self, request):
        return Response(costs.compare_plans(*date_range(request.query_params)))

    @extend_schema(
        request=s.CompareIn,
        responses=s.CompareOut,
        summary="Also price a plan given in the request (at most 92 days)",
    )
    def post(self, request):
        body = request.data if isinstance(request.data, Mapping) else {}
        plan = services.validate_plan(body.get("plan"), prefix="plan.")
        params = {**request.query_params.dict(), **body}
        return Response(costs.compare_plans(*date_range(params), extra=plan))
