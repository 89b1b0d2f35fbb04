"""OpenAPI generation tweaks: unique operation ids and one entry per documented route."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def get_operation_id(self) -> str:
        # /api/users (GET, a page of users) and /api/users/{id} (GET, one user) are both
        # plain APIViews; name the item route so the two ids differ.
        operation_id = super().get_operation_id()
        if "{" in self.path and self.path.rstrip("/").endswith("}"):
            base, _, action = operation_id.rpartition("_")
            return f"{base}_item_{action}"
        return operation_id


def drop_trailing_slash_twins(endpoints):
    """Routes served with and without a trailing slash appear once (without it)."""
    seen = {(path, method) for path, _, method, _ in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith("/") and (endpoint[0].rstrip("/"), endpoint[2]) in seen)
    ]
