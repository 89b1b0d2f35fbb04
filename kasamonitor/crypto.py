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

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "key_ring"]


def _key(purpose: str, secret: str) -> Fernet:
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _secrets(field_key: bool) -> list[str]:
    primary = (settings.FIELD_ENCRYPTION_KEY if field_key else "") or settings.SECRET_KEY
    # A field key set after data was sealed with SECRET_KEY still opens that data.
    ring = [primary, settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return list(dict.fromkeys(s for s in ring if s))


def key_ring(purpose: str, *, field_key: bool = True) -> MultiFernet:
    """Return the Fernet ring for `purpose`: encrypts with the current secret, decrypts with
    it or any fallback. field_key: FIELD_ENCRYPTION_KEY, when set, comes before SECRET_KEY."""
    return MultiFernet([_key(purpose, secret) for secret in _secrets(field_key)])
