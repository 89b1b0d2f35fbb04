"""SSL files in $KASA_DATA_DIR/ssl: status, CSR generation, downloads and checked uploads.

kasamonitor/serve.py starts the web server with TLS when cert.pem and key.pem there match, so a
change here takes effect at the next start of the web process.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from kasamonitor.errors import ApiError, NotFound, PayloadTooLarge

from . import pem
from .services import audit_record

CERT, KEY, CSR, CHAIN = "cert.pem", "key.pem", "csr.pem", "chain.pem"
DOWNLOADABLE = {CERT: "application/x-pem-file", KEY: "application/x-pem-file",
                CSR: "application/pkcs10"}  # fmt: skip
CERT_EXTENSIONS = (".pem", ".crt", ".cer")
KEY_EXTENSIONS = (".pem", ".key")


class InvalidUpload(ApiError):
    status_code = 400
    error_code = "INVALID_FILE"
    message = "The uploaded file is not a valid PEM file."


class InvalidCsrRequest(ApiError):
    status_code = 400
    error_code = "INVALID_CSR_REQUEST"
    message = "A certificate cannot be made for these names."


class FileTypeNotAllowed(ApiError):
    status_code = 400
    error_code = "INVALID_FILE_TYPE"
    message = "This file type is not allowed."


class KeyMismatch(ApiError):
    status_code = 400
    error_code = "KEY_MISMATCH"
    message = "The private key does not belong to the certificate; nothing was replaced."


def ssl_dir() -> Path:
    path = settings.DATA_DIR / "ssl"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def quarantine_dir() -> Path:
    # Inside DATA_DIR, so moving a checked file into ssl/ is a same-filesystem rename.
    path = settings.DATA_DIR / "quarantine"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write atomically: a temp file in the same folder, then rename over `path`."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def _current_cert():
    path = ssl_dir() / CERT
    try:
        return pem.load_certificates(path.read_bytes())[0] if path.is_file() else None
    except pem.PemError:
        return None


def _current_key():
    path = ssl_dir() / KEY
    try:
        return pem.load_private_key(path.read_bytes()) if path.is_file() else None
    except pem.PemError:
        return None


def ssl_status() -> dict:
    """Return which SSL files exist, the certificate's details and whether the key fits."""
    folder = ssl_dir()
    cert, key = _current_cert(), _current_key()
    matches = pem.key_matches(cert, key) if cert and key else None
    return {
        "cert_exists": (folder / CERT).is_file(),
        "key_exists": (folder / KEY).is_file(),
        "csr_exists": (folder / CSR).is_file(),
        "cert_info": pem.certificate_info(cert) if cert else None,
        "key_matches": matches,
        "https_on_restart": bool(matches),
    }


def _a_label(name: str) -> str:
    """A DNS name as certificates hold it: "münchen.example" becomes "xn--mnchen-3ya.example"."""
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name  # cryptography refuses it below, as InvalidCsrRequest


def ssl_generate_csr(
    *, fields: dict[str, str], alt_names: list[str], key_size: int, self_signed: bool, request
) -> dict:
    """Make a new key and CSR (and optionally a self-signed cert) in the ssl folder."""
    folder = ssl_dir()
    key = pem.new_private_key(key_size)
    names = alt_names or [_a_label(fields["common_name"])]
    try:  # build everything first: a refused name must leave the current files untouched
        csr = pem.make_csr(key, fields, names)
        cert = pem.make_self_signed(key, fields, names) if self_signed else None
    except ValueError as exc:
        raise InvalidCsrRequest(str(exc)) from exc
    if (folder / KEY).is_file():  # the current cert needs it until a new cert is uploaded
        os.replace(folder / KEY, folder / "key.pem.previous")
    _write(folder / KEY, pem.private_key_pem(key), mode=0o600)
    _write(folder / CSR, csr)
    if cert:
        _write(folder / CERT, cert)
        (folder / CHAIN).unlink(missing_ok=True)
    audit_record(
        "ssl.csr_generated",
        request=request,
        target_type="ssl",
        target_id=CSR,
        details={**fields, "alt_names": names, "key_size": key_size, "self_signed": self_signed},
    )
    return {**ssl_status(), "csr": csr.decode()}


def ssl_read_file(name: str) -> tuple[bytes, str]:
    """Return the bytes and content type of cert.pem, key.pem or csr.pem (nothing else)."""
    if name not in DOWNLOADABLE:
        raise NotFound("Only cert.pem, key.pem and csr.pem can be downloaded.")
    path = ssl_dir() / name
    if not path.is_file():
        raise NotFound(f"{name} does not exist yet.")
    return path.read_bytes(), DOWNLOADABLE[name]


@contextmanager
def quarantined(upload: UploadedFile, extensions: tuple[str, ...]):
    """Check name and size, copy the upload into the quarantine folder, yield its bytes.

    The quarantined copy is removed afterwards whatever happens; only parsed and
    re-serialised content ever reaches the ssl folder.
    """
    if not upload.name.lower().endswith(extensions):
        raise FileTypeNotAllowed(f"Allowed file types: {', '.join(extensions)}.")
    limit = settings.MAX_UPLOAD_SIZE_MB * 1024 * 1024
    path = quarantine_dir() / f"{uuid.uuid4().hex}.upload"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            size = 0
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"The file is larger than {settings.MAX_UPLOAD_SIZE_MB} MB.",
                        limit_bytes=limit,
                    )
                out.write(chunk)
        yield path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _parse(parser, data: bytes):
    try:
        return parser(data)
    except pem.PemError as exc:
        raise InvalidUpload(str(exc)) from exc


def ssl_upload_cert(upload: UploadedFile, *, key_upload: UploadedFile | None, request) -> dict:
    """Install a certificate (and optionally its key); the key in use must match it."""
    with quarantined(upload, CERT_EXTENSIONS) as data:
        certs = _parse(pem.load_certificates, data)
    key = None
    if key_upload is not None:
        with quarantined(key_upload, KEY_EXTENSIONS) as data:
            key = _parse(pem.load_private_key, data)
    key = key or _current_key()
    if key is not None and not pem.key_matches(certs[0], key):
        _audit_refused(request, "ssl.cert_uploaded", "key_mismatch")
        raise KeyMismatch("The certificate does not match the private key; nothing was replaced.")
    folder = ssl_dir()
    if key_upload is not None:
        _write(folder / KEY, pem.private_key_pem(key), mode=0o600)
    _write(folder / CERT, pem.certificates_pem(certs))
    if len(certs) > 1:  # the intermediates alone too, for tools that want them apart
        _write(folder / CHAIN, pem.certificates_pem(certs[1:]))
    else:
        (folder / CHAIN).unlink(missing_ok=True)
    info = pem.certificate_info(certs[0])
    audit_record("ssl.cert_uploaded", request=request, target_type="ssl", target_id=CERT,
                 details={"subject": info["subject"], "with_key": key_upload is not None})  # fmt: skip
    return ssl_status()


def ssl_upload_key(upload: UploadedFile, *, request) -> dict:
    """Install a private key; when a certificate exists the key must belong to it."""
    with quarantined(upload, KEY_EXTENSIONS) as data:
        key = _parse(pem.load_private_key, data)
    cert = _current_cert()
    if cert is not None and not pem.key_matches(cert, key):
        _audit_refused(request, "ssl.key_uploaded", "key_mismatch")
        raise KeyMismatch()
    _write(ssl_dir() / KEY, pem.private_key_pem(key), mode=0o600)
    audit_record("ssl.key_uploaded", request=request, target_type="ssl", target_id=KEY)
    return ssl_status()


def _audit_refused(request, action: str, reason: str) -> None:
    audit_record(action, request=request, target_type="ssl", outcome="failure",
                 severity="warning", details={"reason": reason})  # fmt: skip
