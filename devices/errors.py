"""Domain errors of the devices app; the project's one handler renders them as JSON."""

from __future__ import annotations

from kasamonitor.errors import ApiError, Conflict, NotFound


class DeviceNotFound(NotFound):
    error_code = "DEVICE_NOT_FOUND"
    message = "Device not found."


class DeviceAlreadyKnown(Conflict):
    error_code = "DEVICE_EXISTS"
    message = "This device is already known."


class DeviceProbeFailed(ApiError):
    """Manual add: nothing answered, or what answered is not a Kasa device."""

    status_code = 400
    error_code = "DEVICE_NOT_FOUND_AT_ADDRESS"
    message = "No Kasa device answered at that address."


class CredentialsRequired(ApiError):
    """Manual add: a KLAP/AES device answered and wants a TP-Link account; none was given."""

    status_code = 400
    error_code = "DEVICE_CREDENTIALS_REQUIRED"
    message = "This device needs the TP-Link account it was set up with."

    def __init__(self, message: str | None = None):
        super().__init__(message, reason="credentials_required", field="username")


class CredentialsRejected(ApiError):
    """The device answered and refused the TP-Link account credentials it was given."""

    status_code = 400
    error_code = "DEVICE_CREDENTIALS_REJECTED"
    message = "The device refused these TP-Link account credentials."

    def __init__(self, message: str | None = None):
        super().__init__(message, reason="credentials_rejected", field="password")


class DeviceUnreachableError(ApiError):
    status_code = 504
    error_code = "DEVICE_UNREACHABLE"
    message = "The device did not answer in time."


class DeviceRefused(ApiError):
    """The device answered but refused (bad credentials) or cannot be handled."""

    status_code = 502
    error_code = "DEVICE_ERROR"
    message = "The device refused the request."


class DeviceControlDisabled(ApiError):
    status_code = 403
    error_code = "DEVICE_CONTROL_DISABLED"
    message = "Device control is turned off in the system configuration."


class OutletOfStrip(Conflict):
    error_code = "OUTLET_BELONGS_TO_STRIP"
    message = "A strip outlet cannot be removed on its own; remove its strip."
