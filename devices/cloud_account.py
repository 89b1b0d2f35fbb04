"""The household's TP-Link account, and which credentials a device is read with.

Newer (KLAP/AES) firmware needs the account its owner set it up with; a household has one,
so it is stored once (CloudAccount) and each device may carry its own instead
(Device.credentials, an override). Legacy devices need none and never get any.
"""

from __future__ import annotations

from django.db import transaction

from security.services import audit_record

from .crypto import decrypt_credentials, encrypt_credentials
from .kasa_client import CloudCredentials
from .models import CloudAccount, Device


def household() -> CloudCredentials | None:
    """The household's account, or None (unset, or unreadable after a key change)."""
    row = CloudAccount.objects.filter(pk=1).only("credentials").first()
    return decrypt_credentials(row.credentials) if row else None


def household_set(credentials: CloudCredentials | None, *, actor=None, request=None) -> None:
    """Store (or with None, forget) the household's account; audited without the secret."""
    with transaction.atomic():
        row, _ = CloudAccount.objects.select_for_update().get_or_create(pk=1)
        row.credentials = encrypt_credentials(credentials)
        row.save()
        audit_record(
            "device.cloud_account_set" if credentials else "device.cloud_account_cleared",
            actor=actor, request=request, severity="warning" if not credentials else "info",
        )  # fmt: skip


def household_status() -> dict:
    """What the API may say about it: whether it is set and when, never what it is."""
    row = CloudAccount.objects.filter(pk=1).first()
    configured = bool(row and decrypt_credentials(row.credentials))
    return {"configured": configured, "updated_at": row.updated_at if row else None}


def credentials_for(
    device: Device, household_account: CloudCredentials | None
) -> CloudCredentials | None:
    """The device's own credentials, else the household's for a KLAP/AES device (one whose
    discovery or manual add stored a connection); a legacy device gets none."""
    own = decrypt_credentials(device.credentials)
    if own is not None:
        return own
    return household_account if device.connection else None
