"""Throw-away keys and certificates for the SSL tests (made once per run: RSA is slow)."""

from __future__ import annotations

from functools import cache

from security import pem


@cache
def key_pem(size: int = 2048, name: str = "spare") -> bytes:
    return pem.private_key_pem(pem.new_private_key(size))


@cache
def pair(common_name: str = "localhost") -> tuple[bytes, bytes]:
    """Return (cert PEM, key PEM) of a self-signed certificate for 127.0.0.1."""
    key = pem.new_private_key()
    cert = pem.make_self_signed(key, {"common_name": common_name}, [common_name, "127.0.0.1"])
    return cert, pem.private_key_pem(key)
