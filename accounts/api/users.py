"""User administration (admin permissions users.*): /api/users and /api/auth/users."""

from __future__ import annotations

import math

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, users
from accounts import serializers as s
from accounts.permissions import HasPermission

TAG = ["users"]
METHOD_PERMISSION = {
    "GET": "users.view",
    "POST": "users.invite",
    "PUT": "users.edit",
    "PATCH": "users.edit",
    "DELETE": "users.remove",
}


class UserAdminApi(APIView):
    def get_permissions(self):
        return [HasPermission(METHOD_PERMISSION.get(self.request.method, "users.view"))()]


class UserListApi(UserAdminApi):
    @extend_schema(
        tags=TAG,
        summary="List users",
        parameters=[s.UserListQuerySerializer],
        responses={200: s.UserListSerializer},
    )
    def get(self, request):
        query = s.validated(s.UserListQuerySerializer, request.query_params)
        active = query["active"] if query["active"] is not None else query["is_active"]
        rows = selectors.user_list(role=query.get("role"), active=active, search=query["search"])
        total, page, per_page = rows.count(), query["page"], query["per_page"]
        start = (page - 1) * per_page
        return Response(
            {
                "users": s.UserSerializer(rows[start : start + per_page], many=True).data,
                "total": total,
                "page": page,
                "per_page": per_page,
                "pages": math.ceil(total / per_page),
            }
        )

    @extend_schema(
        tags=TAG,
        summary="Create a user",
        request=s.UserCreateSerializer,
        responses={201: s.UserSerializer, 409: OpenApiResponse(description="Taken")},
    )
    def post(self, request):
        data = s.validated(s.UserCreateSerializer, request.data)
        # users.user_create refuses what would escalate (a role, grants, an admin).
        user = users.user_create(actor=request.user, **data, request=request)
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(UserAdminApi):
    @extend_schema(tags=TAG, summary="Get a user", responses={200: s.UserSerializer})
    def get(self, request, pk: int):
        return Response(s.UserSerializer(selectors.user_get(pk)).data)

    def _update(self, request, pk: int):
        data = s.validated(s.UserUpdateSerializer, request.data)
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
