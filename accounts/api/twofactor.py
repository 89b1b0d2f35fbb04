"""Two-factor authentication: status, setup, verify (turns it on), disable."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts import totp
from kasamonitor.drf import validated

TAG = ["two-factor"]


class TwoFactorStatusApi(APIView):
    @extend_schema(tags=TAG, summary="Is 2FA on?", responses={200: s.TwoFactorStatusSerializer})
    def get(self, request):
        return Response(totp.status(request.user))


class TwoFactorSetupApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Start 2FA setup: secret, QR code and backup codes (shown only now)",
        description="2FA is not on until POST /api/auth/2fa/verify confirms a first code.",
        request=None,
        responses={200: s.TwoFactorSetupSerializer, 409: OpenApiResponse(description="Already on")},
    )
    def post(self, request):
        setup = totp.setup(request.user)
        return Response(s.TwoFactorSetupSerializer(setup).data)


class TwoFactorVerifyApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Confirm setup with a code from the app: turns 2FA on",
        request=s.TwoFactorCodeSerializer,
        responses={200: s.MessageSerializer, 400: OpenApiResponse(description="Wrong code")},
    )
    def post(self, request):
        data = validated(s.TwoFactorCodeSerializer, request.data)
        totp.enable(request.user, data["token"], request=request)
        return Response({"message": "Two-factor authentication enabled", "enabled": True})


class TwoFactorDisableApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Turn 2FA off (needs a current code or your password)",
        request=s.TwoFactorDisableSerializer,
        responses={
            200: s.MessageSerializer,
            400: OpenApiResponse(description="Not proven"),
            429: OpenApiResponse(description="TWO_FACTOR_THROTTLED: wait Retry-After seconds"),
        },
    )
    def post(self, request):
        data = validated(s.TwoFactorDisableSerializer, request.data)
        totp.disable(
            request.user,
            code=data.get("token", ""),
            password=data.get("password", ""),
            request=request,
        )
        return Response({"message": "Two-factor authentication disabled", "enabled": False})
