"""DRF views: fetch, check access, call one service, render."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermissionFor
from kasamonitor.drf import validated

from . import alerts, cameras, hosts, notify, selectors, services
from . import serializers as s
from .models import AlertRule, Camera, NetworkHost, NotificationChannel


def _msg(text: str, **extra) -> dict:
    return {"msg": text, **extra}


# Alerts
# ------------------------------------------------------------------------------
class AlertListApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "alerts.view", "POST": "alerts.acknowledge"}

    @extend_schema(
        operation_id="api_alerts_list",
        parameters=[s.AlertListQuery],
        responses=s.AlertListOutput,
        tags=["alerts"],
    )
    def get(self, request):
        query = validated(s.AlertListQuery, request.query_params)
        items, pagination = selectors.alert_list(**query)
        return Response({"alerts": s.AlertOutput(items, many=True).data, "pagination": pagination})

    @extend_schema(request=s.ManualAlertInput, responses={201: s.AlertOutput}, tags=["alerts"])
    def post(self, request):
        data = validated(s.ManualAlertInput, request.data)
        subjects = {name: data.get(name) for name in ("device", "camera", "host")}
        alert = alerts.alert_create_manual(
            actor=request.user,
            severity=data["severity"],
            message=data["message"],
            subjects=subjects,
        )
        return Response(s.AlertOutput(alert).data, status=status.HTTP_201_CREATED)


class AlertDetailApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "alerts.view", "DELETE": "alerts.delete"}

    @extend_schema(responses=s.AlertOutput, tags=["alerts"])
    def get(self, request, pk: int):
        return Response(s.AlertOutput(selectors.alert_get(pk)).data)

    @extend_schema(responses=s.MessageOutput, tags=["alerts"])
    def delete(self, request, pk: int):
        alerts.alert_delete(selectors.alert_get(pk), actor=request.user)
        return Response(_msg("Alert deleted", id=pk))


class AlertAcknowledgeApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"POST": "alerts.acknowledge"}

    @extend_schema(request=None, responses=s.AlertActionOutput, tags=["alerts"])
    def post(self, request, pk: int):
        alert = alerts.alert_acknowledge(selectors.alert_get(pk), actor=request.user)
        return Response(_msg("Alert acknowledged", alert=s.AlertOutput(alert).data))


class AlertAcknowledgeAllApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"POST": "alerts.acknowledge"}

    @extend_schema(request=s.AcknowledgeAllInput, responses=s.AcknowledgeAllOutput, tags=["alerts"])
    def post(self, request):
        data = validated(s.AcknowledgeAllInput, request.data)
        count = alerts.alert_acknowledge_all(actor=request.user, severity=data.get("severity"))
        return Response(_msg(f"{count} alerts acknowledged", count=count))


class AlertSummaryApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "alerts.view"}

    @extend_schema(responses=s.AlertSummaryOutput, tags=["alerts"])
    def get(self, request):
        return Response(s.AlertSummaryOutput(selectors.alert_summary()).data)


# Rules
# ------------------------------------------------------------------------------
class RuleListApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "alerts.view", "POST": "alerts.acknowledge"}

    @extend_schema(responses=s.RuleSerializer(many=True), tags=["alert rules"])
    def get(self, request):
        rules = AlertRule.objects.select_related("device", "camera", "host")
        return Response(s.RuleSerializer(rules, many=True).data)

    @extend_schema(
        request=s.RuleSerializer, responses={201: s.RuleSerializer}, tags=["alert rules"]
    )
    def post(self, request):
        data = validated(s.RuleSerializer, request.data)
        rule = services.rule_save(AlertRule(), actor=request.user, data=data)
        return Response(s.RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {
        "GET": "alerts.view",
        "PUT": "alerts.acknowledge",
        "PATCH": "alerts.acknowledge",
        "DELETE": "alerts.delete",
    }

    @extend_schema(responses=s.RuleSerializer, tags=["alert rules"])
    def get(self, request, pk: int):
        return Response(s.RuleSerializer(selectors.rule_get(pk)).data)

    @extend_schema(request=s.RuleSerializer, responses=s.RuleSerializer, tags=["alert rules"])
    def put(self, request, pk: int):
        return self._save(request, pk, partial=False)

    @extend_schema(request=s.RuleSerializer, responses=s.RuleSerializer, tags=["alert rules"])
    def patch(self, request, pk: int):
        return self._save(request, pk, partial=True)

    def _save(self, request, pk: int, *, partial: bool):
        rule = selectors.rule_get(pk)
        data = validated(s.RuleSerializer, request.data, instance=rule, partial=partial)
        rule = services.rule_save(rule, actor=request.user, data=data)
        return Response(s.RuleSerializer(rule).data)

    @extend_schema(responses=s.MessageOutput, tags=["alert rules"])
    def delete(self, request, pk: int):
        services.rule_delete(selectors.rule_get(pk), actor=request.user)
        return Response(_msg("Alert rule deleted", id=pk))


# Notification channels (admins: they hold webhook secrets and mail addresses)
# ------------------------------------------------------------------------------
class ChannelListApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "system.config", "POST": "system.config"}

    @extend_schema(responses=s.ChannelSerializer(many=True), tags=["notifications"])
    def get(self, request):
        return Response(s.ChannelSerializer(NotificationChannel.objects.all(), many=True).data)

    @extend_schema(
        request=s.ChannelSerializer, responses={201: s.ChannelSerializer}, tags=["notifications"]
    )
    def post(self, request):
        data = validated(s.ChannelSerializer, request.data)
        channel = services.channel_save(NotificationChannel(), actor=request.user, data=data)
        return Response(s.ChannelSerializer(channel).data, status=status.HTTP_201_CREATED)


class ChannelDetailApi(APIView):
    needs = dict.fromkeys(("GET", "PUT", "PATCH", "DELETE"), "system.config")

    @extend_schema(responses=s.ChannelSerializer, tags=["notifications"])
    def get(self, request, pk: int):
        return Response(s.ChannelSerializer(selectors.channel_get(pk)).data)

    @extend_schema(
        request=s.ChannelSerializer, responses=s.ChannelSerializer, tags=["notifications"]
    )
    def put(self, request, pk: int):
        return self._save(request, pk, partial=False)

    @extend_schema(
        request=s.ChannelSerializer, responses=s.ChannelSerializer, tags=["notifications"]
    )
    def patch(self, request, pk: int):
        return self._save(request, pk, partial=True)

    def _save(self, request, pk: int, *, partial: bool):
        channel = selectors.channel_get(pk)
        data = validated(s.ChannelSerializer, request.data, instance=channel, partial=partial)
        channel = services.channel_save(channel, actor=request.user, data=data)
        return Response(s.ChannelSerializer(channel).data)

    @extend_schema(responses=s.MessageOutput, tags=["notifications"])
    def delete(self, request, pk: int):
        services.channel_delete(selectors.channel_get(pk), actor=request.user)
        return Response(_msg("Notification channel deleted", id=pk))


class ChannelTestApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"POST": "system.config"}

    @extend_schema(request=None, responses=s.ChannelTestOutput, tags=["notifications"])
    def post(self, request, pk: int):
        channel = selectors.channel_get(pk)
        error = notify.channel_test_safe(channel)
        text = "Test notification sent" if not error else "Test notification failed"
        return Response(_msg(text, delivered=not error, error=error))


# Cameras
# ------------------------------------------------------------------------------
class CameraListApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "devices.view", "POST": "devices.edit"}

    @extend_schema(
        parameters=[s.StatusQuery], responses=s.CameraOutput(many=True), tags=["cameras"]
    )
    def get(self, request):
        query = validated(s.StatusQuery, request.query_params)
        items = Camera.objects.all()
        if query.get("status"):
            items = items.filter(status=query["status"])
        return Response(s.CameraOutput(items, many=True).data)

    @extend_schema(request=s.CameraInput, responses={201: s.CameraOutput}, tags=["cameras"])
    def post(self, request):
        data = validated(s.CameraInput, request.data)
        camera = cameras.camera_save(Camera(), actor=request.user, data=data)
        return Response(s.CameraOutput(camera).data, status=status.HTTP_201_CREATED)


class CameraDetailApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "devices.view", "PUT": "devices.edit", "PATCH": "devices.edit",
             "DELETE": "devices.remove"}  # fmt: skip

    @extend_schema(responses=s.CameraOutput, tags=["cameras"])
    def get(self, request, pk: int):
        return Response(s.CameraOutput(selectors.camera_get(pk)).data)

    @extend_schema(request=s.CameraInput, responses=s.CameraOutput, tags=["cameras"])
    def put(self, request, pk: int):
        return self._save(request, pk, partial=False)

    @extend_schema(request=s.CameraInput, responses=s.CameraOutput, tags=["cameras"])
    def patch(self, request, pk: int):
        return self._save(request, pk, partial=True)

    def _save(self, request, pk: int, *, partial: bool):
        camera = selectors.camera_get(pk)
        data = validated(s.CameraInput, request.data, partial=partial)
        camera = cameras.camera_save(camera, actor=request.user, data=data)
        return Response(s.CameraOutput(camera).data)

    @extend_schema(responses=s.MessageOutput, tags=["cameras"])
    def delete(self, request, pk: int):
        cameras.camera_delete(selectors.camera_get(pk), actor=request.user)
        return Response(_msg("Camera deleted", id=pk))


class CameraStreamApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "devices.view"}

    @extend_schema(responses=s.StreamOutput, tags=["cameras"])
    def get(self, request, pk: int):
        return Response(s.StreamOutput(cameras.camera_stream_info(selectors.camera_get(pk))).data)


class CameraTestApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"POST": "devices.edit"}

    @extend_schema(request=None, responses=s.CameraTestOutput, tags=["cameras"])
    def post(self, request, pk: int):
        result = cameras.camera_test(selectors.camera_get(pk))
        return Response(_msg("Camera connection test completed", result=result))


class CameraStatusApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "devices.view"}

    @extend_schema(responses=s.CameraStatusOutput, tags=["cameras"])
    def get(self, request):
        return Response(selectors.camera_status_counts())


# Network hosts
# ------------------------------------------------------------------------------
class HostListApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "devices.view", "POST": "devices.edit"}

    @extend_schema(
        parameters=[s.StatusQuery], responses=s.HostSerializer(many=True), tags=["hosts"]
    )
    def get(self, request):
        query = validated(s.StatusQuery, request.query_params)
        items = NetworkHost.objects.all()
        if query.get("status"):
            items = items.filter(status=query["status"])
        return Response(s.HostSerializer(items, many=True).data)

    @extend_schema(request=s.HostSerializer, responses={201: s.HostSerializer}, tags=["hosts"])
    def post(self, request):
        data = validated(s.HostSerializer, request.data)
        host = hosts.host_save(NetworkHost(), actor=request.user, data=data)
        return Response(s.HostSerializer(host).data, status=status.HTTP_201_CREATED)


class HostDetailApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "devices.view", "PUT": "devices.edit", "PATCH": "devices.edit",
             "DELETE": "devices.remove"}  # fmt: skip

    @extend_schema(responses=s.HostSerializer, tags=["hosts"])
    def get(self, request, pk: int):
        return Response(s.HostSerializer(selectors.host_get(pk)).data)

    @extend_schema(request=s.HostSerializer, responses=s.HostSerializer, tags=["hosts"])
    def put(self, request, pk: int):
        return self._save(request, pk, partial=False)

    @extend_schema(request=s.HostSerializer, responses=s.HostSerializer, tags=["hosts"])
    def patch(self, request, pk: int):
        return self._save(request, pk, partial=True)

    def _save(self, request, pk: int, *, partial: bool):
        host = selectors.host_get(pk)
        data = validated(s.HostSerializer, request.data, instance=host, partial=partial)
        host = hosts.host_save(host, actor=request.user, data=data)
        return Response(s.HostSerializer(host).data)

    @extend_schema(responses=s.MessageOutput, tags=["hosts"])
    def delete(self, request, pk: int):
        hosts.host_delete(selectors.host_get(pk), actor=request.user)
        return Response(_msg("Host deleted", id=pk))


class HostCheckApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"POST": "devices.edit"}

    @extend_schema(request=None, responses=s.HostCheckOutput, tags=["hosts"])
    def post(self, request, pk: int):
        result = hosts.host_check(selectors.host_get(pk))
        return Response(_msg("Host check completed", result=result))


class HostStatusApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"GET": "devices.view"}

    @extend_schema(responses=s.StatusCountsOutput, tags=["hosts"])
    def get(self, request):
        return Response(selectors.host_status_counts())
