"""Errors of the system configuration API."""

from __future__ import annotations

from kasamonitor.errors import ApiError


class HttpsNeededToRequireIt(ApiError):
    status_code = 400
    error_code = "HTTPS_REQUIRED"
    message = (
        "Switch require_https on over an HTTPS connection: otherwise every plain request "
        "would be sent to an HTTPS address that may not be served."
    )

    def __init__(self):
        super().__init__(field="require_https")
