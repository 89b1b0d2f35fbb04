"""The one Fernet key ring for secrets kept at rest or in transit (device credentials,
camera passwords, archive passwords on their way through the broker).

Each purpose gets a key of its own, derived as sha256("<purpose>:<secret>"), so the same
secret never encrypts two kinds of data with one key. Encryption uses the current secret;
decryption also tries every secret in SECRET_KEY_FALLBACKS (as Django's signing and
accounts/totp.py do), so rotating SECRET_KEY keeps stored data readable until it is
re-encrypted.
"""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings

__all__ = ["InvalidToken", "KeyRing", "key_ring"]


class InvalidToken(Exception):
    """A token none of the ring's keys made, or one older than the ttl asked for."""


class KeyRing:
    """cryptography's MultiFernet, imported at the first secret sealed or opened: a web
    process that handles none does not carry cryptography's Rust core (~9 MiB)."""

    def __init__(self, keys: list[bytes]):
        from cryptography.fernet import Fernet, MultiFernet

        self._ring = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, data: bytes) -> bytes:
        return self._ring.encrypt(data)

    def encrypt_at_time(self, data: bytes, current_time: int) -> bytes:
        """A token stamped with another moment (a token's age is checked against ttl)."""
        return self._ring.encrypt_at_time(data, current_time)

    def decrypt(self, token: bytes, ttl: int | None = None) -> bytes:
        from cryptography import fernet

        try:
            return self._ring.decrypt(token, ttl=ttl)
        except fernet.InvalidToken as error:
            raise InvalidToken from error


def _key(purpose: str, secret: str) -> bytes:
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _secrets(field_key: bool) -> list[str]:
    primary = (settings.FIELD_ENCRYPTION_KEY if field_key else "") or settings.SECRET_KEY
    # A field key set after data was sealed with SECRET_KEY still opens that data.
    ring = [primary, settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return list(dict.fromkeys(s for s in ring if s))


def key_ring(purpose: str, *, field_key: bool = True) -> KeyRing:
    """Return the Fernet ring for `purpose`: encrypts with the current secret, decrypts with
    it or any fallback. field_key: FIELD_ENCRYPTION_KEY, when set, comes before SECRET_KEY."""
    return KeyRing([_key(purpose, secret) for secret in _secrets(field_key)])
