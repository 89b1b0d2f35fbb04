"""Encrypt device cloud credentials at rest (Fernet, key derived from settings)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from .kasa_client import CloudCredentials


def _fernet() -> Fernet:
    # Derived rather than used raw, so any FIELD_ENCRYPTION_KEY/SECRET_KEY string works.
    secret = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(b"kasa-monitor/device-credentials:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_credentials(credentials: CloudCredentials | None) -> str:
    """Return the token to store in Device.credentials ("" for none)."""
    if credentials is None:
        return ""
    plain = json.dumps({"username": credentials.username, "password": credentials.password})
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_credentials(token: str) -> CloudCredentials | None:
    """Return the stored credentials, or None when absent or unreadable (key changed)."""
    if not token:
        return None
    try:
        data = json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None
    return CloudCredentials(data["username"], data["password"])
