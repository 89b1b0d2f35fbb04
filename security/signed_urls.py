"""Time-limited, optionally one-time download links for files under exports/ and backups/.

Who may read what (other apps store files to fit this rule):
- $KASA_DATA_DIR/backups/...            needs system.backup (admins);
- $KASA_DATA_DIR/exports/<user id>/...  needs data.export, and the user id must be the
  reader's own unless the reader is an admin.
The rule is checked when a link is made and again when it is used. Links to backups are
one-time unless the caller says otherwise, and live at most SIGNED_URL_BACKUP_MAX_MINUTES.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.permissions import has_permission
from accounts.roles import ADMIN
from kasamonitor.errors import ApiError, NotFound, PermissionRequired

from .models import UsedSignature
from .services import audit_record

SALT = "kasamonitor.security.signed-download"
AREAS = {"exports": "data.export", "backups": "system.backup"}
_TYPES = {
    ".7z": "application/x-7z-compressed",
    ".csv": "text/csv",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".sqlite3": "application/vnd.sqlite3",
}
OTHER = "application/octet-stream"


class InvalidFilePath(ApiError):
    status_code = 400
    error_code = "INVALID_FILE_PATH"
    message = "filePath must name a file inside exports/ or backups/."


class FileNotFound(NotFound):
    error_code = "FILE_NOT_FOUND"
    message = "The file does not exist."


class SignatureRequired(ApiError):
    status_code = 400
    error_code = "SIGNATURE_REQUIRED"
    message = "Signature required."


class InvalidSignature(ApiError):
    status_code = 401
    error_code = "INVALID_SIGNATURE"
    error = "invalid_signature"
    message = "Invalid or expired signature."


class SignatureExpired(InvalidSignature):
    error_code = "SIGNATURE_EXPIRED"
    message = "This download link has expired."


class SignatureUsed(InvalidSignature):
    error_code = "SIGNATURE_USED"
    message = "This one-time download link was already used."


@dataclass(frozen=True)
class SignedDownload:
    signature: str
    path: str  # relative to DATA_DIR
    expires_at: datetime
    one_time: bool

    @property
    def url_path(self) -> str:
        return f"/download/{self.signature}"


def resolve_data_file(path: str | Path, *, relative_only: bool = False) -> tuple[Path, str]:
    """Return (real path, area) of a file under exports/ or backups/, refusing escapes."""
    text = str(path)
    if not text or any(c in text for c in ("\x00", "\\", "%")):
        raise InvalidFilePath()  # no encoded or Windows-style forms: nobody needs them
    candidate = Path(text)
    if (candidate.is_absolute() and relative_only) or ".." in candidate.parts:
        raise InvalidFilePath()
    real = (settings.DATA_DIR / candidate).resolve()  # follows symlinks before the check
    for area in AREAS:
        root = (settings.DATA_DIR / area).resolve()
        if real.is_relative_to(root) and real != root:
            if not real.is_file():
                raise FileNotFound()
            return real, area
    raise InvalidFilePath()


def can_read(user, real: Path, area: str) -> bool:
    """Apply the module's rule: backups for system.backup, exports/<own id>/ for data.export."""
    if not (user and user.is_active and has_permission(user, AREAS[area])):
        return False
    if area == "backups" or user.role == ADMIN:
        return True
    inside = real.relative_to((settings.DATA_DIR / "exports").resolve()).parts
    return len(inside) > 1 and inside[0] == str(user.pk)


def content_type_for(path: Path, file_type: str = "") -> str:
    """Return the download's Content-Type from its extension (file_type as a fallback);
    always one of media_types(), which the OpenAPI schema lists."""
    fallback = _TYPES.get("." + file_type.lower().lstrip(".")) if file_type else None
    return _TYPES.get(path.suffix.lower()) or fallback or OTHER


def media_types() -> list[str]:
    return sorted({*_TYPES.values(), OTHER})


def signed_download_create(
    path: str | Path,
    user,
    *,
    expiry_minutes: int | None = None,
    one_time: bool | None = None,
    file_type: str = "",
    relative_only: bool = False,
    request=None,
) -> SignedDownload:
    """Sign a download link for `user` to one readable file (403/400/404 otherwise).

    `one_time` None: the area's default (backups one-time, exports reusable until expiry).
    """
    real, area = resolve_data_file(path, relative_only=relative_only)
    if not can_read(user, real, area):
        audit_record("signed_url.refused", actor=user, request=request, outcome="failure",
                     severity="warning", details={"path": str(path)[:200]})  # fmt: skip
        raise PermissionRequired(required_permission=AREAS[area])
    minutes, one_time = _lifetime(area, expiry_minutes, one_time)
    expires_at = timezone.now() + timedelta(minutes=minutes)
    relative = real.relative_to(settings.DATA_DIR.resolve()).as_posix()
    payload = {"p": relative, "u": user.pk, "x": int(expires_at.timestamp()), "o": one_time,
               "t": file_type[:20], "n": secrets.token_hex(4)}  # fmt: skip
    signature = signing.dumps(payload, salt=SALT, compress=True)
    audit_record("signed_url.created", actor=user, request=request, target_type="file",
                 target_id=relative, details={"expires_minutes": minutes, "one_time": one_time})  # fmt: skip
    return SignedDownload(signature, relative, expires_at, one_time)


def _lifetime(area: str, minutes: int | None, one_time: bool | None) -> tuple[int, bool]:
    if area != "backups":
        return minutes or settings.SIGNED_URL_DEFAULT_MINUTES, bool(one_time)
    longest = settings.SIGNED_URL_BACKUP_MAX_MINUTES
    if minutes and minutes > longest:
        raise ValidationError(
            {"expiryMinutes": [f"Links to backups live at most {longest} minutes."]}
        )
    return minutes or settings.SIGNED_URL_BACKUP_DEFAULT_MINUTES, one_time is not False


def signed_url_for(
    path: str | Path, user, expiry_minutes: int = 30, one_time: bool | None = None
) -> str:
    """Return an absolute download URL (FRONTEND_URL based) for mail and other apps."""
    link = signed_download_create(path, user, expiry_minutes=expiry_minutes, one_time=one_time)
    return settings.FRONTEND_URL + link.url_path


def _payload(signature: str) -> dict:
    if not signature:
        raise SignatureRequired()
    max_age = timedelta(minutes=settings.SIGNED_URL_MAX_MINUTES + 1)
    try:
        payload = signing.loads(signature, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise SignatureExpired() from exc
    except signing.BadSignature as exc:
        raise InvalidSignature() from exc
    if not (isinstance(payload, dict) and {"p", "u", "x", "o"} <= payload.keys()):
        raise InvalidSignature()
    if timezone.now().timestamp() > payload["x"]:
        raise SignatureExpired()
    return payload


def _spend(signature: str, expires: int) -> None:
    digest = hashlib.sha256(signature.encode()).hexdigest()
    expires_at = datetime.fromtimestamp(expires, tz=timezone.get_current_timezone())
    try:
        with transaction.atomic():
            UsedSignature.objects.create(digest=digest, expires_at=expires_at)
    except IntegrityError as exc:  # the unique digest makes a race between two uses safe
        raise SignatureUsed() from exc


def signed_download_open(signature: str, *, request=None) -> tuple[Path, str]:
    """Check a signature and return (file, content type); a one-time link is spent here."""
    try:
        payload = _payload(signature)
    except InvalidSignature as exc:
        audit_record("signed_url.refused", request=request, outcome="failure",
                     severity="warning", details={"reason": exc.error_code})  # fmt: skip
        raise
    user = get_user_model().objects.filter(pk=payload["u"]).first()
    real, area = resolve_data_file(payload["p"], relative_only=True)
    if not can_read(user, real, area):
        raise PermissionRequired(required_permission=AREAS[area])
    if payload["o"]:
        _spend(signature, payload["x"])
    audit_record("signed_url.downloaded", actor=user, request=request, target_type="file",
                 target_id=payload["p"], details={"one_time": payload["o"]})  # fmt: skip
    return real, content_type_for(real, payload.get("t", ""))


def used_signatures_prune() -> int:
    """Forget spent one-time signatures whose links have expired anyway."""
    return UsedSignature.objects.filter(expires_at__lt=timezone.now()).delete()[0]
