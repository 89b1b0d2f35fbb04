"""OpenAPI generation: unique operation ids, one entry per documented route, and every error
answer documented with the project's one error body (kasamonitor/errors.py).

Error answers are added here for every operation, not per view: the middleware and the one
exception handler can give any operation these answers. A view documents only the answers
particular to it (409 "LAST_ADMIN", 504 "device did not answer"); the body is filled in here.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import is_serializer
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
WITH_BODY = {"POST", "PUT", "PATCH"}
# What each error status means for any operation; a view's own description comes first.
ERRORS = {
    400: "Malformed request or invalid input (`errors` maps each field to its messages).",
    401: "Not authenticated, or the token is invalid or expired.",
    403: "Missing permission (`required_permission`), or the CSRF check failed (cookie auth).",
    404: "No such object (named by the path or the body).",
    409: "The request conflicts with the current state.",
    413: "The request body is too large.",
    415: "The request body's media type is not accepted.",
    429: "Too many requests (`retry_after` seconds, and the Retry-After header).",
}


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer; context keys of the error may be added."""

    detail = serializers.CharField()
    message = serializers.CharField()
    error = serializers.CharField()
    error_code = serializers.CharField()
    code = serializers.CharField()
    status_code = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    errors = serializers.JSONField(required=False, help_text="Validation errors by field.")
    field = serializers.CharField(required=False, help_text="The first invalid field.")
    required_permission = serializers.CharField(required=False)
    retry_after = serializers.IntegerField(required=False, help_text="Seconds to wait.")
    redirect_to = serializers.CharField(required=False)


class AutoSchema(SpectacularAutoSchema):
    def get_operation_id(self) -> str:
        # /api/users (GET, a page of users) and /api/users/{id} (GET, one user) are both
        # plain APIViews; name the item route so the two ids differ.
        operation_id = super().get_operation_id()
        if "{" in self.path and self.path.rstrip("/").endswith("}"):
            base, _, action = operation_id.rpartition("_")
            return f"{base}_item_{action}"
        return operation_id

    def _get_response_bodies(self, direction="response"):
        declared = self.get_response_serializers()
        if self.method == "DELETE" and is_serializer(declared):
            # drf-spectacular documents every DELETE as an empty 204, even with a serializer:
            # ours answer 200 with that body.
            responses = {"200": self._get_response_for_code(declared, "200", direction=direction)}
        else:
            responses = super()._get_response_bodies(direction)
        for status in self._error_statuses(responses):
            declared = responses.get(str(status)) or {}
            if declared.get("content"):
                continue  # the view documents a body of its own
            description = declared.get("description") or ERRORS.get(status, "Error.")
            responses[str(status)] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=description), str(status)
            )
        return dict(sorted(responses.items()))

    def _error_statuses(self, responses: dict) -> set[int]:
        # 401 too where no login is needed: a bad token (or a bad signature) is refused.
        statuses = {400, 401, 403, 429} | {int(code) for code in responses if code[0] in "45"}
        if "{" in self.path or self.method in WRITES:
            statuses.add(404)  # the object the path or the body names may not exist
        if self.method in WRITES:
            statuses.add(409)
        if self.method in WITH_BODY:
            statuses |= {413, 415}
        return statuses


def drop_trailing_slash_twins(endpoints):
    """Routes served with and without a trailing slash appear once (without it)."""
    seen = {(path, method) for path, _, method, _ in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith("/") and (endpoint[0].rstrip("/"), endpoint[2]) in seen)
    ]
