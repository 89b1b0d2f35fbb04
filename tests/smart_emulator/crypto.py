"""The device side of the KLAP and AES ("securePassthrough") transports.

Written from the protocol description in docs (see README.md); python-kasa's transports
are the client these must satisfy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_SEQ = struct.Struct(">i")


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _pad(data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    return padder.update(data) + padder.finalize()


def _unpad(data: bytes) -> bytes:
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


# -- KLAP ------------------------------------------------------------------------------


def klap_auth_hash(username: str, password: str, version: int) -> bytes:
    """v1: md5(md5(user) + md5(password)); v2: sha256(sha1(user) + sha1(password))."""
    if version == 1:
        md5 = hashlib.md5
        return md5(md5(username.encode()).digest() + md5(password.encode()).digest()).digest()
    sha1 = hashlib.sha1
    return _sha256(sha1(username.encode()).digest() + sha1(password.encode()).digest())


def klap_server_hash(local: bytes, remote: bytes, auth: bytes, version: int) -> bytes:
    """What the device answers handshake1 with, after its remote seed."""
    return _sha256(local + auth) if version == 1 else _sha256(local + remote + auth)


def klap_client_hash(local: bytes, remote: bytes, auth: bytes, version: int) -> bytes:
    """What the client must post to handshake2."""
    return _sha256(remote + auth) if version == 1 else _sha256(remote + local + auth)


class KlapSession:
    """One handshake's keys: AES-128-CBC per request, IV = iv12 + seq, SHA-256 signature."""

    def __init__(self, local: bytes, remote: bytes, auth: bytes, version: int) -> None:
        self.local, self.remote, self.auth, self.version = local, remote, auth, version
        self.established = False
        material = local + remote + auth
        self.key = _sha256(b"lsk" + material)[:16]
        iv = _sha256(b"iv" + material)
        self.iv12 = iv[:12]
        self.first_seq = _SEQ.unpack(iv[-4:])[0]
        self.sig = _sha256(b"ldk" + material)[:28]

    def check_handshake2(self, payload: bytes) -> bool:
        expected = klap_client_hash(self.local, self.remote, self.auth, self.version)
        return hmac.compare_digest(payload, expected)

    def _cipher(self, seq: int) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.iv12 + _SEQ.pack(seq)))

    def decrypt(self, seq: int, body: bytes) -> bytes:
        """The request's plaintext; ValueError when the signature or padding is wrong."""
        signature, ciphertext = body[:32], body[32:]
        if not ciphertext or len(ciphertext) % 16:
            raise ValueError("bad ciphertext length")
        expected = _sha256(self.sig + _SEQ.pack(seq) + ciphertext)
        if not hmac.compare_digest(signature, expected):
            raise ValueError("bad signature")
        decryptor = self._cipher(seq).decryptor()
        return _unpad(decryptor.update(ciphertext) + decryptor.finalize())

    def encrypt(self, seq: int, plaintext: bytes) -> bytes:
        encryptor = self._cipher(seq).encryptor()
        ciphertext = encryptor.update(_pad(plaintext)) + encryptor.finalize()
        return _sha256(self.sig + _SEQ.pack(seq) + ciphertext) + ciphertext


# -- AES (securePassthrough) -----------------------------------------------------------


class AesSession:
    """A handshake's AES-128-CBC key and IV, sent to the client under its RSA key."""

    def __init__(self) -> None:
        self.key = secrets.token_bytes(16)
        self.iv = secrets.token_bytes(16)
        self.token: str | None = None

    def key_for(self, public_key_pem: str) -> str:
        """base64 of key + IV encrypted (RSA PKCS#1 v1.5) to the client's public key."""
        text = public_key_pem.strip()
        if "BEGIN" not in text:
            text = f"-----BEGIN PUBLIC KEY-----\n{text}\n-----END PUBLIC KEY-----"
        public_key = serialization.load_pem_public_key(text.encode())
        if not isinstance(public_key, RSAPublicKey):
            raise ValueError("not an RSA key")
        encrypted = public_key.encrypt(self.key + self.iv, rsa_padding.PKCS1v15())
        return base64.b64encode(encrypted).decode()

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.iv))

    def decrypt(self, data: str) -> bytes:
        decryptor = self._cipher().decryptor()
        return _unpad(decryptor.update(base64.b64decode(data)) + decryptor.finalize())

    def encrypt(self, plaintext: bytes) -> str:
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(_pad(plaintext)) + encryptor.finalize()).decode()


def aes_login_matches(params: dict, username: str, password: str, version: int | None) -> bool:
    """login_device: username = b64(sha1-hex(user)); lv 2 password2 = b64(sha1-hex(pw)),
    otherwise password = b64(pw)."""

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    def sha1_hex(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    if params.get("username") != b64(sha1_hex(username)):
        return False
    if version == 2:
        return params.get("password2") == b64(sha1_hex(password))
    return params.get("password") == b64(password)
