"""Your login sessions: list, end one, end all others."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts import sessions
from kasamonitor.drf import validated

ENDED = OpenApiResponse(s.MessageSerializer, description="Ended")
NOT_YOURS = OpenApiResponse(description="403: another user's session; 404: unknown")


class SessionListApi(APIView):
    @extend_schema(
        tags=["auth"], summary="Your active sessions", responses={200: s.SessionListSerializer}
    )
    def get(self, request):
        rows = sessions.session_list(request.user)
        context = {"current": sessions.current_session_id(request)}
        return Response(
            {
                "sessions": s.SessionSerializer(rows, many=True, context=context).data,
                "total": len(rows),
                "max_allowed": settings.MAX_SESSIONS_PER_USER,
            }
        )


class SessionDetailApi(APIView):
    @extend_schema(
        tags=["auth"], summary="End one of your sessions", responses={200: ENDED, 403: NOT_YOURS}
    )
    def delete(self, request, session_id: str):
        sessions.session_end_own(request.user, session_id, request=request)
        return Response({"message": "Session terminated successfully"})


class SecuritySessionListApi(APIView):
    @extend_schema(
        tags=["security"],
        summary="Your active sessions (array)",
        responses={200: s.SecuritySessionSerializer(many=True)},
    )
    def get(self, request):
        rows = sessions.session_list(request.user)
        context = {"current": sessions.current_session_id(request)}
        return Response(s.SecuritySessionSerializer(rows, many=True, context=context).data)


class SecuritySessionDetailApi(APIView):
    @extend_schema(
        tags=["security"],
        summary="Revoke one of your sessions",
        responses={200: ENDED, 403: NOT_YOURS},
    )
    def delete(self, request, session_id: str):
        sessions.session_end_own(request.user, session_id, request=request)
        return Response({"message": "Session revoked successfully"})


class RevokeOthersApi(APIView):
    @extend_schema(
        tags=["security"],
        summary="End all your sessions except the current one, which sessionId must name",
        request=s.RevokeOthersSerializer,
        responses={
            200: s.LogoutSerializer,
            400: OpenApiResponse(description="sessionId missing, or not your current session"),
        },
    )
    def post(self, request):
        data = validated(s.RevokeOthersSerializer, request.data)
        keep = sessions.current_session_or_refuse(request, data["sessionId"])
        count = sessions.session_end_all(
            request.user, reason="revoked_by_user", keep=keep, actor=request.user, request=request
        )
        return Response(
            {"message": "All other sessions have been revoked", "sessions_terminated": count}
        )
