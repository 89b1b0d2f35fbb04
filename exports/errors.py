"""The export API's error codes and bodies (spec: data-export-system.md "Error Handling")."""

from __future__ import annotations

from kasamonitor.errors import ApiError


class ExportPermissionDenied(ApiError):
    status_code = 403
    error_code = "PERMISSION_DENIED"
    message = "You don't have permission to perform data exports"

    def __init__(self):
        super().__init__(detail="Permission denied", required_permission="DATA_EXPORT")


class ExportAccessDenied(ApiError):
    status_code = 403
    error_code = "ACCESS_DENIED"
    message = "You don't have access to this export"

    def __init__(self, owner: str):
        super().__init__(detail="Access denied to export", export_owner=owner)


class ExportNotFound(ApiError):
    status_code = 404
    error_code = "EXPORT_NOT_FOUND"

    def __init__(self, export_id: str, what: str = "Export"):
        super().__init__(
            f"{what} with ID '{export_id}' does not exist or you don't have access",
            detail=f"{what} not found",
        )


class ExportExpired(ApiError):
    status_code = 410
    error_code = "EXPORT_EXPIRED"
    message = "Export file has expired and is no longer available"

    def __init__(self, expired_at: str):
        super().__init__(detail="Export expired", expired_at=expired_at)


class ExportNotReady(ApiError):
    status_code = 409
    error_code = "EXPORT_NOT_READY"

    def __init__(self, status: str):
        super().__init__(
            f"The export is {status}; only completed exports can be downloaded.",
            detail="Export not ready",
            export_status=status,
        )


class ExportNotRetryable(ApiError):
    status_code = 409
    error_code = "EXPORT_NOT_RETRYABLE"
    message = "Only failed exports can be retried."


class ExportOnHold(ApiError):
    status_code = 403
    error_code = "COMPLIANCE_HOLD"
    message = "This export is under compliance hold until it expires; only an admin can delete it."


class InvalidDateRange(ApiError):
    error_code = "INVALID_DATE_RANGE"

    def __init__(self, message: str = "Start date must be before end date"):
        super().__init__(message, detail="Invalid date range")


class InvalidExportRequest(ApiError):
    error_code = "INVALID_EXPORT_REQUEST"

    def __init__(self, message: str, field: str = ""):
        context = {"field": field} if field else {}
        super().__init__(message, detail=message, **context)


class InvalidFormula(ApiError):
    error_code = "INVALID_FORMULA"

    def __init__(self, message: str, field: str = "custom_fields"):
        super().__init__(message, detail="Invalid custom field formula", field=field)


class ExportLimitExceeded(ApiError):
    error_code = "EXPORT_LIMIT_EXCEEDED"

    def __init__(self, message: str, **context):
        super().__init__(message, detail="Export limit exceeded", **context)


class TooManyConcurrentExports(ApiError):
    status_code = 429
    error_code = "CONCURRENT_EXPORT_LIMIT"

    def __init__(self, running: int, maximum: int):
        super().__init__(
            f"You already have {running} exports in progress (at most {maximum}); "
            "wait for one to finish.",
            detail="Too many concurrent exports",
            limit=maximum,
            retry_after=30,
        )


class ExportRateLimited(ApiError):
    status_code = 429
    error_code = "RATE_LIMIT_EXCEEDED"
    error = "rate_limit_exceeded"
    message = "Export rate limit exceeded. Please try again later."

    def __init__(self, limit: int, retry_after: int, retry_at: str):
        super().__init__(
            detail="Export rate limit exceeded",
            limit=f"{limit} per hour",
            retry_after=retry_after,
            retry_at=retry_at,
        )
