"""Password reset (both flows share one token store), password change, email verification."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import passwords, ratelimits, sessions, verification
from accounts import serializers as s
from kasamonitor.drf import validated

from .auth import PublicApi

RESET_SENT = "If an account exists with this email, a password reset link has been sent"
RESET_DONE = "Password has been reset successfully. Please login with your new password"


def _request_reset(request) -> None:
    ratelimits.enforce(request, "password_reset")
    email = validated(s.EmailSerializer, request.data)["email"]
    passwords.reset_request_queue(email, request=request)


class ForgotPasswordApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Mail a password reset link (same answer for any email)",
        request=s.EmailSerializer,
        responses={200: s.MessageSerializer, 429: OpenApiResponse(description="3 per 15 min")},
    )
    def post(self, request):
        _request_reset(request)
        return Response({"message": RESET_SENT})


class SecurityRequestResetApi(PublicApi):
    @extend_schema(
        tags=["security"],
        summary="Mail a password reset link (same answer for any email)",
        request=s.EmailSerializer,
        responses={200: s.MessageSerializer, 429: OpenApiResponse(description="3 per 15 min")},
    )
    def post(self, request):
        _request_reset(request)
        return Response(
            {"message": "If an account with that email exists, a reset link has been sent"}
        )


class ResetPasswordApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the mailed token (single use, 30 min)",
        request=s.ResetPasswordSerializer,
        responses={
            200: s.MessageSerializer,
            400: OpenApiResponse(description="Bad token/password"),
        },
    )
    def post(self, request):
        ratelimits.enforce(request, "password_reset_confirm")
        data = validated(s.ResetPasswordSerializer, request.data)
        passwords.reset_confirm(
            token=data["token"], new_password=data["newPassword"], request=request
        )
        return Response({"message": RESET_DONE})


class SecurityResetPasswordApi(PublicApi):
    @extend_schema(
        tags=["security"],
        summary="Set a new password with the mailed token (single use)",
        request=s.SecurityResetPasswordSerializer,
        responses={
            200: s.MessageSerializer,
            400: OpenApiResponse(description="Bad token/password"),
        },
    )
    def post(self, request):
        ratelimits.enforce(request, "password_reset_confirm")
        data = validated(s.SecurityResetPasswordSerializer, request.data)
        passwords.reset_confirm(
            token=data["resetToken"],
            new_password=data["newPassword"],
            email=data["email"],
            request=request,
        )
        return Response(
            {"message": "Password reset successfully. Please login with your new password."}
        )


class ChangePasswordApi(APIView):
    @extend_schema(
        tags=["auth"],
        summary="Change your password (other sessions end, this one stays)",
        request=s.ChangePasswordSerializer,
        responses={
            200: s.MessageSerializer,
            401: OpenApiResponse(description="Wrong current password"),
        },
    )
    def post(self, request):
        data = validated(s.ChangePasswordSerializer, request.data)
        passwords.password_change(
            request.user,
            current=data["currentPassword"],
            new=data["newPassword"],
            keep_session=sessions.current_session_id(request),
            request=request,
        )
        return Response({"message": "Password changed successfully"})


class SendVerificationCodeApi(APIView):
    @extend_schema(
        tags=["security"],
        summary="Mail a 6-digit email verification code",
        request=None,
        responses={200: s.MessageSerializer, 409: OpenApiResponse(description="Already verified")},
    )
    def post(self, request):
        ratelimits.enforce(request, "send_verification", per_user=True)
        verification.send_code(request.user)
        return Response({"message": "Verification code sent to your email"})


class VerifyEmailApi(APIView):
    @extend_schema(
        tags=["security"],
        summary="Verify your email with the 6-digit code",
        request=s.VerifyEmailSerializer,
        responses={200: s.MessageSerializer, 400: OpenApiResponse(description="Invalid/expired")},
    )
    def post(self, request):
        ratelimits.enforce(request, "verify_email", per_user=True)
        data = validated(s.VerifyEmailSerializer, request.data)
        verification.verify_code(request.user, data["code"], request=request)
        return Response({"message": "Email verified successfully"})
