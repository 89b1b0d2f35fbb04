"""Encrypt device cloud credentials at rest (kasamonitor.crypto's key ring)."""

from __future__ import annotations

import json

from kasamonitor.crypto import InvalidToken, key_ring

from .kasa_client import CloudCredentials


def _fernet():
    return key_ring("kasa-monitor/device-credentials")


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
