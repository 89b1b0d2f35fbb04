"""One error shape for every /api and /health response (DESIGN.md "Contract every part keeps").

{"detail", "message", "error", "error_code", "code", "status_code", "timestamp", ...context}
is the union of the spec documents' shapes. Apps raise ApiError subclasses; views never
build error bodies themselves.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework import exceptions as drf

from kasamonitor.timestamps import iso_utc

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error a client can act on; subclasses set status_code, error_code and message."""

    status_code = 400
    error_code = "BAD_REQUEST"
    message = "The request could not be processed."
    error = ""

    def __init__(self, message: str | None = None, *, detail: str | None = None, **context: Any):
        self.message = message or self.message
        self.detail = detail or self.message
        self.context = context
        super().__init__(self.message)


class NotFound(ApiError):
    status_code = 404
    error_code = "NOT_FOUND"
    message = "Not found."


class Conflict(ApiError):
    status_code = 409
    error_code = "CONFLICT"
    message = "The resource already exists."


class PermissionRequired(ApiError):
    status_code = 403
    error_code = "INSUFFICIENT_PERMISSIONS"
    error = "authorization_failed"
    message = "You don't have permission to access this resource"


class RateLimited(ApiError):
    status_code = 429
    error_code = "RATE_LIMIT_EXCEEDED"
    error = "rate_limit_exceeded"
    message = "Too many requests. Please try again later."


class PayloadTooLarge(ApiError):
    status_code = 413
    error_code = "PAYLOAD_TOO_LARGE"
    message = "The request body is too large."


_DRF_CODES: dict[type, tuple[str, str]] = {
    drf.ParseError: ("MALFORMED_REQUEST", "invalid_request"),
    drf.NotAuthenticated: ("AUTH_REQUIRED", "authentication_required"),
    drf.AuthenticationFailed: ("INVALID_TOKEN", "authentication_failed"),
    drf.PermissionDenied: ("INSUFFICIENT_PERMISSIONS", "authorization_failed"),
    drf.NotFound: ("NOT_FOUND", "not_found"),
    drf.MethodNotAllowed: ("METHOD_NOT_ALLOWED", "method_not_allowed"),
    drf.NotAcceptable: ("NOT_ACCEPTABLE", "not_acceptable"),
    drf.UnsupportedMediaType: ("UNSUPPORTED_MEDIA_TYPE", "unsupported_media_type"),
    drf.Throttled: ("RATE_LIMIT_EXCEEDED", "rate_limit_exceeded"),
    drf.ValidationError: ("VALIDATION_ERROR", "validation_error"),
}
_STATUS_CODES = {
    400: ("BAD_REQUEST", "bad_request"),
    401: ("AUTH_REQUIRED", "authentication_required"),
    403: ("INSUFFICIENT_PERMISSIONS", "authorization_failed"),
    404: ("NOT_FOUND", "not_found"),
    405: ("METHOD_NOT_ALLOWED", "method_not_allowed"),
    413: ("PAYLOAD_TOO_LARGE", "payload_too_large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "unsupported_media_type"),
    429: ("RATE_LIMIT_EXCEEDED", "rate_limit_exceeded"),
    500: ("SERVER_ERROR", "server_error"),
    503: ("SERVICE_UNAVAILABLE", "service_unavailable"),
}


def error_body(
    status: int, error_code: str, message: str, *, detail: str = "", error: str = "", **context
) -> dict:
    """Return the project's error body; context keys (retry_after, ...) are added at the top level."""
    body = {
        "detail": detail or message,
        "message": message,
        "error": error or _STATUS_CODES.get(status, ("", "error"))[1],
        "error_code": error_code,
        "code": error_code,
        "status_code": status,
        "timestamp": iso_utc(timezone.now()),
    }
    if status == 401:
        context.setdefault("redirect_to", "/login")
    body.update(context)
    return body


def error_response(status: int, error_code: str, message: str, **context) -> JsonResponse:
    return JsonResponse(error_body(status, error_code, message, **context), status=status)


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        text = _first_message(value)
        return text if key in ("non_field_errors", "detail") else f"{key}: {text}"
    return str(detail)


def _first_field(detail: Any, prefix: str = "") -> str:
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        path = f"{prefix}.{key}" if prefix else str(key)
        return _first_field(value, path) if isinstance(value, dict) else path
    return prefix


def _from_drf(exc: drf.APIException) -> tuple[int, dict]:
    code, error = next(
        (v for cls, v in _DRF_CODES.items() if isinstance(exc, cls)),
        _STATUS_CODES.get(exc.status_code, ("ERROR", "error")),
    )
    context: dict[str, Any] = {}
    message = _first_message(exc.detail)
    if isinstance(exc, drf.ValidationError):
        context["errors"] = exc.detail
        field = _first_field(exc.detail)
        if field and field != "non_field_errors":
            context["field"] = field
    elif isinstance(exc, drf.ParseError):
        code = "MALFORMED_JSON" if "JSON" in message else code
    elif isinstance(exc, drf.Throttled):
        context["retry_after"] = int(exc.wait or 1)
    elif isinstance(exc, drf.AuthenticationFailed | drf.NotAuthenticated):
        code = getattr(exc, "error_code", None) or _auth_code(exc)
    context.update(getattr(exc, "context", None) or {})
    return exc.status_code, error_body(
        exc.status_code, code, message, detail=message, error=error, **context
    )


def _auth_code(exc: drf.APIException) -> str:
    codes = exc.get_codes()
    flat = str(codes)
    if "expired" in str(exc.detail).lower():
        return "TOKEN_EXPIRED"
    if isinstance(exc, drf.NotAuthenticated) or "not_authenticated" in flat:
        return "AUTH_REQUIRED"
    return "INVALID_TOKEN"


def exception_handler(exc: Exception, context: dict) -> JsonResponse | None:
    """DRF's EXCEPTION_HANDLER: every error becomes the project's JSON shape."""
    # Imported here: rest_framework.views resolves DEFAULT_AUTHENTICATION_CLASSES when it is
    # imported, and accounts.authentication imports this module (a cycle at import time).
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, ApiError):
        set_rollback()
        body = error_body(
            exc.status_code,
            exc.error_code,
            exc.message,
            detail=exc.detail,
            error=exc.error,
            **exc.context,
        )
        response = JsonResponse(body, status=exc.status_code)
        if "retry_after" in exc.context and isinstance(exc.context["retry_after"], int):
            response["Retry-After"] = str(exc.context["retry_after"])
        return response
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(getattr(exc, "message_dict", None) or exc.messages)
    elif isinstance(exc, RequestDataTooBig):
        return error_response(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
    elif isinstance(exc, SuspiciousOperation):
        return error_response(400, "BAD_REQUEST", "The request was refused as malformed.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's handler500 answers (JSON for /api)
    status, body = _from_drf(exc)
    json_response = JsonResponse(body, status=status)
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            json_response[header] = response[header]
    return json_response


def _wants_json(request) -> bool:
    return request.path.startswith(("/api", "/health", "/download", "/ws"))


def handler404(request, exception=None):
    if _wants_json(request):
        return error_response(404, "NOT_FOUND", "Not found.", path=request.path)
    return render(request, "errors/404.html", status=404)


def _outage(exc: BaseException | None) -> bool:
    """True when exc (or what caused it) says a backing service is unreachable: Redis (cache,
    rate limits, broker) or the database. That is a 503 to retry, not a bug's 500."""
    import kombu.exceptions
    import redis.exceptions
    from django.db import utils as db

    unreachable = (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.BusyLoadingError,
        kombu.exceptions.OperationalError,
        db.OperationalError,
        db.InterfaceError,
    )
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, unreachable) and not _sqlite_bug(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _sqlite_bug(exc: BaseException) -> bool:
    """SQLite reports a missing table as an OperationalError too: that is a bug (500); only a
    locked, unreadable or unopenable database file is an outage."""
    cause = exc.__cause__
    if type(cause).__module__ != "sqlite3":
        return False
    text = str(cause).lower()
    return not any(word in text for word in ("locked", "unable to open", "disk i/o", "readonly"))


OUTAGE_RETRY_AFTER = 5


def handler500(request):
    # Django calls this inside its except block: the exception is still sys.exc_info()'s.
    if _outage(sys.exc_info()[1]):
        message = "A service this request needs is unavailable right now; try again shortly."
        if _wants_json(request):
            response = error_response(
                503, "SERVICE_UNAVAILABLE", message, retry_after=OUTAGE_RETRY_AFTER
            )
        else:
            response = render(request, "errors/503.html", status=503)
        response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
        return response
    if _wants_json(request):
        return error_response(500, "SERVER_ERROR", "An unexpected error occurred.")
    return render(request, "errors/500.html", status=500)


def handler400(request, exception=None):
    if _wants_json(request):
        return error_response(400, "BAD_REQUEST", "The request was refused as malformed.")
    return render(request, "errors/400.html", status=400)


def handler403(request, exception=None):
    if _wants_json(request):
        return error_response(403, "INSUFFICIENT_PERMISSIONS", "Permission denied.")
    return render(request, "errors/403.html", status=403)


def csrf_failure(request, reason=""):
    if _wants_json(request):
        return error_response(
            403, "CSRF_FAILED", "CSRF check failed: send the X-CSRFToken header.", reason=reason
        )
    return render(request, "errors/403.html", {"reason": reason}, status=403)
