"""The devices API: thin views calling selectors (reads) and services (writes)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermissionFor
from kasamonitor.drf import bound, validated
from kasamonitor.ranges import SCHEMA as RANGE_SCHEMA
from kasamonitor.renderers import json_response

from . import cloud_account, selectors, services, tasks
from . import serializers as s
from .models import Device


class ByMethod(APIView):
    """Devices views: a viewer reads; other methods name their permission in permission_for."""

    permission_classes = [HasPermissionFor]
    permission_for = {"*": "devices.view"}


# Operations that talk to the device answer these when it does not (the error body is the
# project's, added by kasamonitor.schema).
TALKS_TO_DEVICE = {
    502: OpenApiResponse(description="DEVICE_ERROR: the device refused (credentials?)."),
    504: OpenApiResponse(description="DEVICE_UNREACHABLE: the device did not answer in time."),
}

STATUS_PARAM = OpenApiParameter(
    "status", str, enum=[c for c, _ in Device.Status.choices], description="Only this status."
)
EXPAND_PARAM = OpenApiParameter(
    "expand",
    str,
    enum=["children"],
    description="children: list each power strip's outlets in its `children` instead of "
    "beside it (top-level rows get `children`, empty for plugs and bulbs).",
)


class DeviceListApi(ByMethod):
    permission_for = {"GET": "devices.view", "POST": "devices.discover", "*": "devices.view"}

    @extend_schema(parameters=[STATUS_PARAM, EXPAND_PARAM], responses=s.DeviceTreeOut(many=True))
    def get(self, request):
        wanted = request.query_params.get("status") or None
        if wanted and wanted not in Device.Status.values:
            raise serializers.ValidationError({"status": f"Use one of {Device.Status.values}."})
        expand = request.query_params.get("expand", "")
        if expand not in ("", "children"):
            raise serializers.ValidationError({"expand": 'The only expansion is "children".'})
        body = s.device_list_json(wanted, children=expand == "children")
        return HttpResponse(body, content_type="application/json")

    @extend_schema(request=s.ManualAddIn, responses={201: s.DeviceDetailOut, **TALKS_TO_DEVICE})
    def post(self, request):
        return _add_manual(request)


class DeviceManualAddApi(ByMethod):
    permission_for = {"POST": "devices.discover", "*": "devices.view"}

    @extend_schema(request=s.ManualAddIn, responses={201: s.DeviceDetailOut, **TALKS_TO_DEVICE})
    def post(self, request):
        return _add_manual(request)


def _add_manual(request) -> Response:
    form = bound(s.ManualAddIn, request.data)
    data = {k: form.validated_data[k] for k in ("ip", "alias", "port")}
    device = services.device_add_manual(
        **data, credentials=form.credentials(), actor=request.user, request=request
    )
    return Response(s.device_detail(device), status=status.HTTP_201_CREATED)


class DeviceStatusApi(ByMethod):
    @extend_schema(responses=s.StatusSummaryOut)
    def get(self, request):
        return Response(selectors.status_summary())


class DeviceDetailApi(ByMethod):
    permission_for = {
        "GET": "devices.view",
        "PUT": "devices.edit",
        "PATCH": "devices.edit",
        "DELETE": "devices.remove",
        "*": "devices.view",
    }

    @extend_schema(responses=s.DeviceDetailOut)
    def get(self, request, key):
        return Response(s.device_detail(selectors.device_get(key)))

    @extend_schema(request=s.DeviceUpdateIn, responses={200: s.DeviceDetailOut, **TALKS_TO_DEVICE})
    def put(self, request, key):
        device = selectors.device_get(key)
        form = bound(s.DeviceUpdateIn, request.data)
        device = services.device_update(
            device=device, data=form.changes(), actor=request.user, request=request
        )
        return Response(s.device_detail(device))

    @extend_schema(request=s.DeviceUpdateIn, responses={200: s.DeviceDetailOut, **TALKS_TO_DEVICE})
    def patch(self, request, key):
        return self.put(request, key)

    @extend_schema(responses={204: None})
    def delete(self, request, key):
        services.device_delete(
            device=selectors.device_get(key), actor=request.user, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DevicePollApi(ByMethod):
    permission_for = {"POST": "devices.edit", "*": "devices.view"}

    @extend_schema(request=None, responses={202: s.PollOut})
    def post(self, request, key):
        device = selectors.device_get(key)
        task = tasks.poll_device.delay(device.pk)
        body = {"msg": "Polling initiated", "task_id": task.id, "device_id": device.pk}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class DeviceHistoryApi(ByMethod):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start_time", RANGE_SCHEMA, description="default: end_time minus 1-30 days"
            ),
            OpenApiParameter(
                "end_time", RANGE_SCHEMA, description="a date: the whole day; default: now"
            ),
            OpenApiParameter("interval", str, enum=["raw", "1h", "6h", "1d"]),
        ],
        responses=s.HistoryPointOut(many=True),
    )
    def get(self, request, key):
        device = selectors.device_get(key)
        query = validated(s.HistoryQuery, request.query_params)
        return json_response(selectors.history(device, **query))  # up to 8,760 points


class DeviceStatsApi(ByMethod):
    @extend_schema(responses=s.StatsOut)
    def get(self, request, key):
        return Response(selectors.stats(selectors.device_get(key)))


class DeviceControlApi(ByMethod):
    permission_for = {"POST": "devices.control", "*": "devices.view"}

    @extend_schema(request=s.ControlIn, responses={200: s.DeviceOut, **TALKS_TO_DEVICE})
    def post(self, request, key):
        action = validated(s.ControlIn, request.data)["action"]
        device = services.device_set_power(
            device=selectors.device_get(key), action=action, actor=request.user, request=request
        )
        return Response(s.device_row(device))


class DiscoverApi(ByMethod):
    permission_for = {"POST": "devices.discover", "*": "devices.view"}

    @extend_schema(request=s.DiscoverIn, responses=s.DiscoverOut)
    def post(self, request):
        form = bound(s.DiscoverIn, request.data)
        outcome = services.device_discover_all(
            timeout=form.validated_data.get("timeout"),
            credentials=form.credentials(),
            actor=request.user,
            request=request,
        )
        return Response(s.discovery_out(outcome))


class CloudAccountApi(ByMethod):
    """The household's TP-Link account: set, replaced or forgotten; never read back."""

    permission_for = {"PUT": "devices.discover", "DELETE": "devices.discover", "*": "devices.view"}

    @extend_schema(responses=s.CloudAccountOut)
    def get(self, request):
        return Response(s.cloud_account_out())

    @extend_schema(request=s.CloudAccountIn, responses=s.CloudAccountOut)
    def put(self, request):
        form = bound(s.CloudAccountIn, request.data)
        cloud_account.household_set(form.credentials(), actor=request.user, request=request)
        return Response(s.cloud_account_out())

    @extend_schema(responses={204: None})
    def delete(self, request):
        cloud_account.household_set(None, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceCredentialsApi(ByMethod):
    """New credentials for a device refusing its own (tried on the device before stored)."""

    permission_for = {"POST": "devices.edit", "*": "devices.view"}

    @extend_schema(
        request=s.DeviceCredentialsIn, responses={200: s.DeviceDetailOut, **TALKS_TO_DEVICE}
    )
    def post(self, request, key):
        form = bound(s.DeviceCredentialsIn, request.data)
        device = services.device_credentials_fix(
            device=selectors.device_get(key), credentials=form.credentials(),
            household=form.validated_data["household"], actor=request.user, request=request,
        )  # fmt: skip
        return Response(s.device_detail(device))


class NetworkSettingsApi(ByMethod):
    @extend_schema(responses=s.NetworkOut)
    def get(self, request):
        return Response(selectors.network_settings())
