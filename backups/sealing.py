"""Keep an archive password secret on its way through the Celery broker (kasamonitor.crypto,
SECRET_KEY and its fallbacks)."""

from __future__ import annotations

from kasamonitor.crypto import InvalidToken, key_ring


def _fernet():
    return key_ring("kasa-backups", field_key=False)


def seal(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def unseal(token: str) -> str | None:
    """Return the password, or None when the token was sealed under another SECRET_KEY."""
    try:
        return _fernet().decrypt(token.encode(), ttl=24 * 3600).decode()
    except InvalidToken:
        return None
