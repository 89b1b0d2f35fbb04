"""The accounts app's errors; the project's one handler renders them (kasamonitor/errors.py)."""

from __future__ import annotations

from rest_framework import exceptions as drf

from kasamonitor.errors import ApiError, Conflict, RateLimited


class AuthError(ApiError, drf.AuthenticationFailed):
    """A 401. Also a DRF AuthenticationFailed, so DRF treats the request as unauthenticated."""

    status_code = 401
    error = "authentication_failed"
    error_code = "INVALID_TOKEN"
    message = "The token is invalid. Please log in again."


class TokenExpired(AuthError):
    error = "authentication_expired"
    error_code = "TOKEN_EXPIRED"
    message = "Your session has expired. Please log in again."


class InvalidToken(AuthError):
    pass


class SessionRevoked(AuthError):
    error = "session_revoked"
    error_code = "SESSION_REVOKED"
    message = "This session has ended. Please log in again."


class RefreshTokenReused(AuthError):
    error = "session_revoked"
    error_code = "REFRESH_TOKEN_REUSED"
    message = "This refresh token was already used; the session has been ended for safety."


class InvalidCredentials(AuthError):
    error = "authentication_failed"
    error_code = "INVALID_CREDENTIALS"
    message = "Invalid username or password."


class InvalidOtpCode(AuthError):
    error_code = "INVALID_2FA_CODE"
    message = "The two-factor code is invalid."


class InvalidChallenge(AuthError):
    error_code = "INVALID_2FA_CHALLENGE"
    message = "The login challenge is invalid or expired. Please log in again."


class RefreshTokenRequired(ApiError):
    error_code = "REFRESH_TOKEN_REQUIRED"
    message = "Refresh token required"


class NotCurrentSession(ApiError):
    error_code = "NOT_CURRENT_SESSION"
    message = "sessionId must be the id of your current session (the one this request is from)."


class CsrfFailed(ApiError, drf.PermissionDenied):
    status_code = 403
    error = "csrf_failed"
    error_code = "CSRF_FAILED"
    message = "CSRF check failed: send the X-CSRFToken header with cookie authentication."


class RegistrationClosed(ApiError):
    status_code = 403
    error = "authorization_failed"
    error_code = "REGISTRATION_DISABLED"
    message = "Registration is disabled; ask an administrator for an account."


class SetupComplete(Conflict):
    error_code = "SETUP_COMPLETE"
    message = "Setup is already complete; log in instead."


class LastAdmin(Conflict):
    error_code = "LAST_ADMIN"
    message = "The last active administrator cannot be removed, disabled or demoted."


class InvalidResetToken(ApiError):
    error_code = "INVALID_TOKEN"
    message = "The reset token is invalid or expired."


class InvalidVerificationCode(ApiError):
    error_code = "INVALID_CODE"
    message = "The verification code is invalid or expired."


class TwoFactorState(Conflict):
    error_code = "TWO_FACTOR_STATE"


class InvalidPassword(ApiError):
    error_code = "PASSWORD_WEAK"
    message = "The password does not meet the password policy."


class EmailAlreadyVerified(Conflict):
    error_code = "EMAIL_VERIFIED"
    message = "This email address is already verified."


class WrongOtpCode(ApiError):
    error_code = "INVALID_2FA_CODE"
    message = "The two-factor code is invalid."


class TwoFactorThrottled(RateLimited):
    """django-otp holds the device after wrong codes: the code was not checked at all."""

    error_code = "TWO_FACTOR_THROTTLED"

    def __init__(self, seconds: int):
        unit = "second" if seconds == 1 else "seconds"
        super().__init__(
            f"Too many wrong codes in a row: wait {seconds} {unit}, then try again.",
            retry_after=seconds,
            retryAfter=seconds,
        )
