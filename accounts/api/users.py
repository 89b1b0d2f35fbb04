"""User administration (admin permissions users.*): /api/users and /api/auth/users."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, users
from accounts import serializers as s
from accounts.permissions import HasPermissionFor
from kasamonitor.drf import page_of, validated

TAG = ["users"]
METHOD_PERMISSION = {
    "GET": "users.view",
    "POST": "users.invite",
    "PUT": "users.edit",
    "PATCH": "users.edit",
    "DELETE": "users.remove",
}


class UserAdminApi(APIView):
    permission_classes = [HasPermissionFor]
    permission_for = {**METHOD_PERMISSION, "*": "users.view"}


class UserListApi(UserAdminApi):
    @extend_schema(
        tags=TAG,
        summary="List users",
        parameters=[s.UserListQuerySerializer],
        responses={200: s.UserListSerializer},
    )
    def get(self, request):
        query = validated(s.UserListQuerySerializer, request.query_params)
        active = query["active"] if query["active"] is not None else query["is_active"]
        rows = selectors.user_list(role=query.get("role"), active=active, search=query["search"])
        rows, pagination = page_of(rows, page=query["page"], per_page=query["per_page"])
        return Response({"users": s.UserSerializer(rows, many=True).data, **pagination})

    @extend_schema(
        tags=TAG,
        summary="Create a user",
        request=s.UserCreateSerializer,
        responses={201: s.UserSerializer, 409: OpenApiResponse(description="Taken")},
    )
    def post(self, request):
        data = validated(s.UserCreateSerializer, request.data)
        # users.user_create refuses what would escalate (a role, grants, an admin).
        user = users.user_create(actor=request.user, **data, request=request)
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(UserAdminApi):
    @extend_schema(tags=TAG, summary="Get a user", responses={200: s.UserSerializer})
    def get(self, request, pk: int):
        return Response(s.UserSerializer(selectors.user_get(pk)).data)

    def _update(self, request, pk: int):
        data = validated(s.UserUpdateSerializer, request.data)
        user = users.user_update(
            actor=request.user, user=selectors.user_get(pk), data=data, request=request
        )
        return Response(s.UserSerializer(user).data)

    @extend_schema(
        tags=TAG,
        summary="Update a user",
        request=s.UserUpdateSerializer,
        responses={200: s.UserSerializer, 409: OpenApiResponse(description="LAST_ADMIN")},
    )
    def patch(self, request, pk: int):
        return self._update(request, pk)

    @extend_schema(
        tags=TAG,
        summary="Update a user (same as PATCH)",
        request=s.UserUpdateSerializer,
        responses={200: s.UserSerializer},
    )
    def put(self, request, pk: int):
        return self._update(request, pk)

    @extend_schema(
        tags=TAG,
        summary="Delete a user",
        responses={200: s.MessageSerializer, 409: OpenApiResponse(description="LAST_ADMIN")},
    )
    def delete(self, request, pk: int):
        users.user_delete(actor=request.user, user=selectors.user_get(pk), request=request)
        return Response({"message": "User deleted successfully"})
