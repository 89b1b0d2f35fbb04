"""The project's URLs plus a few views that fail on purpose, for the error-shape tests."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kasamonitor.errors import ApiError
from kasamonitor.urls import urlpatterns as project_urls


class Teapot(ApiError):
    status_code = 409
    error_code = "DEVICE_ALREADY_KNOWN"
    message = "That device is already known."


class EchoApi(APIView):
    permission_classes = [AllowAny]

    class Input(serializers.Serializer):
        watts = serializers.FloatField(min_value=0)

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class DomainErrorApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise Teapot(device_ip="127.0.0.5")


class CrashApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


urlpatterns = [
    path("api/test/echo", EchoApi.as_view()),
    path("api/test/domain-error", DomainErrorApi.as_view()),
    path("api/test/crash", CrashApi.as_view()),
    *project_urls,
]
handler404 = "kasamonitor.errors.handler404"
handler500 = "kasamonitor.errors.handler500"
