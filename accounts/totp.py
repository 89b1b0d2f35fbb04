"""Two-factor authentication with django-otp: an authenticator app (TOTP) plus backup codes.

Backup codes are shown once and stored as keyed hashes in a static device
(models.BackupCodeDevice). A login of a user with 2FA first yields a short-lived signed
challenge, redeemed once with a TOTP or backup code (services.login_with_challenge).

A code goes only to the device it is for (digits: the app; otherwise: the backup codes), so
a wrong app code never throttles the backup codes. A device django-otp holds after wrong
codes answers 429 with the wait (TwoFactorThrottled), never "invalid".
"""

from __future__ import annotations

import math
import secrets
from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.services import audit_record

from . import ratelimits
from .errors import (
    InvalidChallenge,
    InvalidOtpCode,
    TwoFactorState,
    TwoFactorThrottled,
    WrongOtpCode,
)
from .models import BackupCodeDevice, User, backup_code_digests
from .models import normalise_code as _normalise

BACKUP_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
_CHALLENGE_SALT = "accounts.2fa-challenge"


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_url: str
    qr_code: str
    backup_codes: list[str]


def is_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def status(user: User) -> dict:
    backup = BackupCodeDevice.objects.filter(user=user, confirmed=True).first()
    return {
        "enabled": is_enabled(user),
        "backup_codes_remaining": backup.token_set.count() if backup else 0,
    }


def _new_backup_codes(user: User) -> list[str]:
    BackupCodeDevice.objects.filter(user=user).delete()
    device = BackupCodeDevice.objects.create(user=user, name="Backup codes", confirmed=False)
    codes = []
    for _ in range(BACKUP_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        device.token_set.create(token=backup_code_digests(raw)[0])
    return codes


def qr_data_url(text: str) -> str:
    import segno  # only when a user sets 2FA up: not carried by every web process

    return segno.make(text, error="m").png_data_uri(scale=5, border=2)


@transaction.atomic
def setup(user: User) -> TotpSetup:
    """Start (or restart) 2FA enrolment: a new secret and backup codes, not yet active."""
    if is_enabled(user):
        raise TwoFactorState("Two-factor authentication is already enabled; disable it first.")
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return TotpSetup(
        secret=b32encode(device.bin_key).decode().rstrip("="),
        otpauth_url=device.config_url,
        qr_code=qr_data_url(device.config_url),
        backup_codes=_new_backup_codes(user),
    )


@transaction.atomic
def enable(user: User, code: str, *, request=None) -> None:
    """Confirm enrolment with a first code from the app; 2FA is on from now.

    A wrong code rolls back with the refusal, so enrolment is never held: there is nothing
    to guess here, as the user was just shown the secret.
    """
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise TwoFactorState("Nothing to verify: start with POST /api/auth/2fa/setup.")
    if not device.verify_token(_normalise(code)):
        raise WrongOtpCode()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    BackupCodeDevice.objects.filter(user=user).update(confirmed=True)
    audit_record("2fa_enabled", actor=user, request=request, target=user)


def device_for(user: User, code: str, *, lock: bool = False) -> Device | None:
    """The confirmed device a code is meant for: the app's for digits, else the backup codes'."""
    text = _normalise(code)
    model = TOTPDevice if text.isdigit() and len(text) <= 8 else BackupCodeDevice
    devices = model.objects.filter(user=user, confirmed=True)
    return (devices.select_for_update() if lock else devices).first()


def throttle_check(device: Device) -> None:
    """Raise a 429 with the wait while django-otp holds the device after wrong codes."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        until = (info or {}).get("locked_until")
        left = (until - timezone.now()).total_seconds() if until else 1
        raise TwoFactorThrottled(max(1, math.ceil(left)))


def verify_code(user: User, code: str) -> Device | None:
    """Check a TOTP code or consume a backup code of a user with 2FA; return the device that
    took it, or None. Raises TwoFactorThrottled (429) while the code's device is held."""
    with transaction.atomic():
        device = device_for(user, code, lock=True)
        if device is None:
            return None
        throttle_check(device)
        return device if device.verify_token(_normalise(code)) else None


def disable(user: User, *, code: str = "", password: str = "", request=None) -> None:
    """Turn 2FA off; needs the account password or a current code (TOTP or backup)."""
    if not is_enabled(user):
        raise TwoFactorState("Two-factor authentication is not enabled.")
    proven = bool(password) and _password_ok(user, password, request)
    proven = proven or (bool(code) and verify_code(user, code) is not None)
    if not proven:
        audit_record("2fa_disabled", actor=user, request=request, outcome="failure")
        raise WrongOtpCode("A valid two-factor code or your password is required.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        BackupCodeDevice.objects.filter(user=user).delete()
    audit_record("2fa_disabled", actor=user, request=request, target=user)


def _password_ok(user: User, password: str, request) -> bool:
    # Under the login limits: a stolen session must not be a way to guess the password.
    account = str(user.pk)
    ratelimits.password_guard(request, account)
    return ratelimits.password_checked(account, user.check_password(password))


def challenge_issue(user: User) -> str:
    """Return a signed, single-use login challenge for a user who passed the password step."""
    return signing.dumps({"uid": user.pk, "n": secrets.token_hex(8)}, salt=_CHALLENGE_SALT)


def challenge_redeem(challenge: str, code: str) -> User:
    """Return the challenge's user when `code` is right; each challenge works once."""
    try:
        data = signing.loads(
            challenge, salt=_CHALLENGE_SALT, max_age=settings.TWO_FACTOR_CHALLENGE_SECONDS
        )
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise InvalidChallenge() from exc
    used_key = f"accounts:2fa-challenge:{data['n']}"
    tries_key = used_key + ":tries"
    user = User.objects.filter(pk=data["uid"], is_active=True).first()
    if user is None or cache.get(used_key):
        raise InvalidChallenge()
    device = device_for(user, code)
    if device is not None:
        throttle_check(device)  # a held device checks no code: the try is not spent
    cache.add(tries_key, 0, settings.TWO_FACTOR_CHALLENGE_SECONDS)
    if cache.incr(tries_key) > settings.TWO_FACTOR_MAX_TRIES:
        raise InvalidChallenge()
    if not verify_code(user, code):
        raise InvalidOtpCode()
    if not cache.add(used_key, 1, settings.TWO_FACTOR_CHALLENGE_SECONDS):
        raise InvalidChallenge()  # a parallel request redeemed it first
    return user
