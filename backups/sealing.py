"""Keep an archive password secret on its way through the Celery broker (Fernet, SECRET_KEY)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"kasa-backups:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def unseal(token: str) -> str | None:
    """Return the password, or None when the token was sealed under another SECRET_KEY."""
    try:
        return _fernet().decrypt(token.encode(), ttl=24 * 3600).decode()
    except InvalidToken:
        return None
