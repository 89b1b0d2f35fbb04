"""GET/PUT /api/system/config: thin views over the system selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission

from . import selectors, services
from .serializers import SystemConfigSerializer

CONFIG = HasPermission("system.config")
VIEW = HasPermission("devices.view")


class SystemConfigApi(APIView):
    permissions_by_method = {"GET": [CONFIG], "PUT": [CONFIG], "PATCH": [CONFIG]}

    def get_permissions(self):
        return [p() for p in self.permissions_by_method.get(self.request.method, [VIEW])]

    @extend_schema(responses=SystemConfigSerializer)
    def get(self, request):
        return Response(SystemConfigSerializer(selectors.system_config()).data)

    @extend_schema(request=SystemConfigSerializer, responses=SystemConfigSerializer)
    def put(self, request):
        form = SystemConfigSerializer(
            data=request.data, instance=selectors.system_config(), partial=True
        )
        form.is_valid(raise_exception=True)
        config = services.system_config_update(
            data=dict(form.validated_data), actor=request.user, request=request
        )
        return Response(SystemConfigSerializer(config).data)

    @extend_schema(request=SystemConfigSerializer, responses=SystemConfigSerializer)
    def patch(self, request):
        return self.put(request)
