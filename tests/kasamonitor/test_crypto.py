"""One key ring for everything encrypted: old tokens still open, rotated keys still read."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet

from backups import sealing
from devices.crypto import decrypt_credentials, encrypt_credentials
from devices.kasa_client import CloudCredentials
from monitoring import crypto as camera_crypto


def _old(label: bytes, secret: str) -> Fernet:
    # How each module derived its own key before kasamonitor/crypto.py existed.
    digest = hashlib.sha256(label + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def test_credentials_sealed_by_the_earlier_derivations_still_open(settings):
    settings.FIELD_ENCRYPTION_KEY = "field key"
    old_device = _old(b"kasa-monitor/device-credentials:", "field key")
    token = old_device.encrypt(b'{"username": "me@example.com", "password": "hunter2"}')
    assert decrypt_credentials(token.decode()) == CloudCredentials("me@example.com", "hunter2")

    old_camera = _old(b"kasamonitor.monitoring.camera-password:", "field key")
    assert camera_crypto.decrypt(old_camera.encrypt(b"cam-pw").decode()) == "cam-pw"

    old_backup = _old(b"kasa-backups:", settings.SECRET_KEY)
    assert sealing.unseal(old_backup.encrypt(b"archive-pw").decode()) == "archive-pw"


def test_rotating_the_secret_key_keeps_data_readable_through_the_fallbacks(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old secret", []
    credentials = encrypt_credentials(CloudCredentials("me@example.com", "hunter2"))
    camera, archive = camera_crypto.encrypt("cam-pw"), sealing.seal("archive-pw")

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new secret", ["old secret"]
    assert decrypt_credentials(credentials) == CloudCredentials("me@example.com", "hunter2")
    assert camera_crypto.decrypt(camera) == "cam-pw"
    assert sealing.unseal(archive) == "archive-pw"

    settings.SECRET_KEY_FALLBACKS = []  # the old key retired: unreadable, never a crash
    assert decrypt_credentials(credentials) is None
    assert camera_crypto.decrypt(camera) == ""
    assert sealing.unseal(archive) is None


def test_each_purpose_has_a_key_of_its_own(settings):
    token = camera_crypto.encrypt("same secret, other purpose")
    assert decrypt_credentials(token) is None
    assert sealing.unseal(token) is None
