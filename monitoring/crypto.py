"""Camera passwords at rest: Fernet with a key derived from FIELD_ENCRYPTION_KEY or SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

logger = logging.getLogger(__name__)


def _fernet() -> Fernet:
    secret = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    # A labelled hash gives a 32-byte key of its own, so this key differs from other
    # uses of the same secret.
    digest = hashlib.sha256(b"kasamonitor.monitoring.camera-password:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


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
