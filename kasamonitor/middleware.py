"""Request id on every request: taken from X-Request-ID when sane, else generated."""

from __future__ import annotations

import logging
import re
import time
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from .logging import request_id_var

logger = logging.getLogger("kasamonitor.request")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(request) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _SAFE_ID.match(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Tag the request and its log lines with an id, echo it back, and log one line per request."""

    async_capable = True
    sync_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        token, started = self._start(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started)

    async def _acall(self, request):
        token, started = self._start(request)
        try:
            response = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started)

    def _start(self, request):
        request.request_id = _request_id(request)
        return request_id_var.set(request.request_id), time.perf_counter()

    def _finish(self, request, response, started):
        response["X-Request-ID"] = request.request_id
        if not request.path.startswith(("/static/", "/health")):
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "request_id": request.request_id,
                },
            )
        return response


def body_limit(path: str, content_type: str) -> int:
    """The most bytes a request body may have on this route: UPLOAD_LIMITS_MB for a path
    prefix (backup restore), MAX_UPLOAD_SIZE_MB for multipart uploads, else
    DATA_UPLOAD_MAX_MEMORY_SIZE (JSON and forms)."""
    from django.conf import settings

    for prefix, megabytes in getattr(settings, "UPLOAD_LIMITS_MB", {}).items():
        if path.startswith(prefix):
            return megabytes * 1024 * 1024
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return settings.MAX_UPLOAD_SIZE_MB * 1024 * 1024 + 64 * 1024
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large(limit: int):
    from .errors import error_response

    return error_response(
        413,
        "PAYLOAD_TOO_LARGE",
        f"The request body is too large (limit {limit // (1024 * 1024) or 1} MB).",
        limit_bytes=limit,
    )


class BodySizeLimitMiddleware:
    """Refuse a declared oversize body (Content-Length) with a 413 JSON error, before any
    parser reads it.

    DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE alone does
    not bound JSON bodies. Under the web server, kasamonitor.asgi_body also counts the bytes
    of a body sent without a length (chunked) as they arrive; this middleware is the check
    for every other way Django is called (WSGI, the test client).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .errors import error_response

        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            return error_response(400, "BAD_REQUEST", "Content-Length is not a number.")
        limit = body_limit(request.path, request.content_type or "")
        if length > limit:
            return too_large(limit)
        return self.get_response(request)


class NulByteGuardMiddleware:
    """Refuse a NUL byte in the path or query string with a 400 JSON error.

    PostgreSQL text columns cannot hold NUL, so a lookup by such a key raised DataError (a
    500) on PostgreSQL while SQLite answered 404. No valid key or filter contains one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .errors import error_response

        query = request.GET
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in query.getlist(key)) for key in query
        ):
            return error_response(400, "BAD_REQUEST", "The URL contains a NUL byte.")
        return self.get_response(request)
