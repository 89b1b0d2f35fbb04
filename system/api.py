"""GET/PUT /api/system/config: thin views over the system selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermissionFor
from kasamonitor.drf import bound

from . import selectors, services
from .serializers import SystemConfigSerializer


class SystemConfigApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {"*": "system.config"}

    @extend_schema(responses=SystemConfigSerializer)
    def get(self, request):
        return Response(SystemConfigSerializer(selectors.system_config()).data)

    @extend_schema(request=SystemConfigSerializer, responses=SystemConfigSerializer)
    def put(self, request):
        form = bound(
            SystemConfigSerializer, request.data, instance=selectors.system_config(), partial=True
        )
        config = services.system_config_update(
            data=dict(form.validated_data), actor=request.user, request=request
        )
        return Response(SystemConfigSerializer(config).data)

    @extend_schema(request=SystemConfigSerializer, responses=SystemConfigSerializer)
    def patch(self, request):
        return self.put(request)
