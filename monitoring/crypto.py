"""Camera passwords at rest (kasamonitor.crypto's key ring)."""

from __future__ import annotations

import logging

from kasamonitor.crypto import InvalidToken, key_ring

logger = logging.getLogger(__name__)


def _fernet():
    return key_ring("kasamonitor.monitoring.camera-password")


def encrypt(plaintext: str) -> str:
    """Return the Fernet token for plaintext ("" stays "")."""
    return _fernet().encrypt(plaintext.encode()).decode() if plaintext else ""


def decrypt(token: str) -> str:
    """Return the plaintext, or "" when the token was made with another key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        logger.warning("camera password cannot be decrypted (the secret key changed?)")
        return ""
