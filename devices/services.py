"""Writes of the devices app: discovery, manual add, edit, delete, control, configuration.

Polling lives in devices/polling.py (re-exported here); the energy maths in ingest.py.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kasamonitor.errors import ApiError
from security.services import audit_record
from system import selectors as system_selectors

from . import cloud_account, events, kasa_client
from .crypto import decrypt_credentials, encrypt_credentials
from .errors import (
    CredentialsRejected,
    CredentialsRequired,
    DeviceAlreadyKnown,
    DeviceControlDisabled,
    DeviceProbeFailed,
    DeviceRefused,
    DeviceUnreachableError,
    OutletOfStrip,
)
from .identity import assign, live_of, upsert, without_counters
from .imports import (  # noqa: F401 (public surface, used by backups.importer)
    device_upsert_imported,
    readings_existing_timestamps,
    readings_insert_imported,
    rollups_rebuild,
)
from .kasa_client import CloudCredentials, KasaClientError, PollResult
from .models import Device
from .polling import device_poll_all, device_poll_one  # noqa: F401 (public surface)

logger = logging.getLogger(__name__)

PowerAction = Literal["on", "off", "toggle"]


def device_discover(
    *,
    targets: list[str] | None = None,
    timeout: float | None = None,
    credentials: CloudCredentials | None = None,
    add_new: bool = True,
    actor=None,
    request=None,
) -> list[Device]:
    """Broadcast discovery to KASA_DISCOVERY_TARGET; add new devices, move known ones.

    With add_new=False (the periodic re-discovery) only known devices are updated, so a
    device whose IP changed is found again without adopting the neighbours' plugs.
    """
    return device_discover_all(
        targets=targets, timeout=timeout, credentials=credentials, add_new=add_new,
        actor=actor, request=request,
    ).devices  # fmt: skip


@dataclass
class DiscoveryOutcome:
    devices: list[Device]  # added or updated
    locked: list[kasa_client.Locked]  # answered, but refused the credentials (or were unreadable)
    credentials_given: bool


def device_discover_all(
    *,
    targets: list[str] | None = None,
    timeout: float | None = None,
    credentials: CloudCredentials | None = None,
    add_new: bool = True,
    actor=None,
    request=None,
) -> DiscoveryOutcome:
    """device_discover(), also saying which devices answered but could not be read.

    Devices are read with `credentials`, else the household's TP-Link account. Credentials
    given here that a KLAP/AES device accepted become the household's account (stored once,
    encrypted; devices keep no copy).
    """
    account = credentials or cloud_account.household()
    found = asyncio.run(
        kasa_client.discover_all(
            list(targets or settings.KASA_DISCOVERY_TARGET),
            timeout or settings.KASA_DISCOVERY_TIMEOUT,
            account,
            poll_timeout=settings.KASA_DEVICE_TIMEOUT * 2,
            concurrency=settings.KASA_POLL_CONCURRENCY,
        )
    )
    results, locked = _read_with_own_accounts(found.found, found.locked)
    with transaction.atomic():
        created, updated = upsert(results, add_new=add_new)
        if credentials is not None and any(r.connection for r in results):
            cloud_account.household_set(credentials, actor=actor, request=request)
    if actor is not None or request is not None:
        audit_record(
            "device.discover",
            actor=actor,
            request=request,
            details={"found": len(results), "added": [d.device_id for d in created],
                     "refused": [lock.host for lock in locked]},
        )  # fmt: skip
    return DiscoveryOutcome(created + updated, locked, account is not None)


def _read_with_own_accounts(
    found: list[PollResult], locked: list[kasa_client.Locked]
) -> tuple[list[PollResult], list[kasa_client.Locked]]:
    """Read again, with its own TP-Link account, a known device that refused the household's.

    Discovery reads every device with the household's account; a device set up with another
    account (`Device.credentials`) refuses it, so without this its row would never learn
    what discovery is for: a new port or connection (a firmware update that turns HTTPS on).
    Only at the address the device's credentials were given for (same host, same MAC in the
    discovery answer): stored credentials are never sent to another address.
    """
    refused = {lock.host: lock for lock in locked if lock.reason == "auth_failed"}
    if not refused:
        return found, locked
    own = {
        d.host: login
        for d in Device.objects.filter(parent__isnull=True, host__in=refused).exclude(credentials="")
        if d.mac.upper() == refused[d.host].mac and (login := decrypt_credentials(d.credentials))
    }  # fmt: skip
    if not own:
        return found, locked

    async def read_all() -> list[PollResult | KasaClientError]:
        async def read(host: str, login: CloudCredentials) -> PollResult | KasaClientError:
            try:
                return await kasa_client.probe(
                    host, kasa_client.DEFAULT_PORT, _timeout() * 2, login,
                    discovery_timeout=settings.KASA_DISCOVERY_TIMEOUT,
                )  # fmt: skip
            except KasaClientError as exc:
                return exc

        return await asyncio.gather(*(read(h, login) for h, login in own.items()))

    read_again = dict(zip(own, asyncio.run(read_all()), strict=True))
    results = [r for r in read_again.values() if isinstance(r, PollResult)]
    still = [lock for lock in locked if not isinstance(read_again.get(lock.host), PollResult)]
    return [*found, *results], still


def device_add_manual(
    *,
    ip: str,
    port: int = kasa_client.DEFAULT_PORT,
    alias: str = "",
    credentials: CloudCredentials | None = None,
    actor=None,
    request=None,
) -> Device:
    """Talk to the address first; add the device it finds, or say why not (400/409).

    Without credentials the household's TP-Link account is tried. Credentials given for a
    KLAP/AES device become the household's account when it has none yet, and otherwise
    that device's own (when they differ from the household's).
    """
    account = cloud_account.household()
    login = credentials or account
    result = _probe(ip, port, login, given=credentials is not None, household=account is not None)
    existing = Device.objects.filter(device_id=result.device_id).first()
    if existing is not None:
        raise DeviceAlreadyKnown(
            f"{ip} is {existing.name}, already known (id {existing.pk}, at {existing.host}).",
            id=existing.pk,
        )
    if alias and alias != result.alias:
        result = _talk(
            kasa_client.set_alias(
                ip, result.port, alias, None, _timeout(), login, result.connection
            )
        )
    own = credentials if credentials is not None and credentials != account else None
    with transaction.atomic():
        if own is not None and result.connection and account is None:
            cloud_account.household_set(own, actor=actor, request=request)
            own = None
        created, _ = upsert([result], credentials=encrypt_credentials(own))
        device = created[0]
        audit_record("device.add", actor=actor, request=request, target=device)
    return device


def _probe(
    ip: str, port: int, credentials: CloudCredentials | None, *, given: bool, household: bool
) -> PollResult:
    try:
        return asyncio.run(
            kasa_client.probe(
                ip,
                port,
                _timeout() * 2,
                credentials,
                discovery_timeout=settings.KASA_DISCOVERY_TIMEOUT,
            )  # fmt: skip
        )
    except kasa_client.NotAKasaDevice as exc:
        raise DeviceProbeFailed(
            f"Something answered at {ip}:{port}, but it is not a Kasa device.",
            reason="not_kasa",
        ) from exc
    except kasa_client.DeviceAuthFailed as exc:
        raise _credentials_problem(ip, exc.model, given=given, household=household) from exc
    except kasa_client.DeviceUnsupported as exc:
        raise DeviceProbeFailed(
            f"The device at {ip}:{port} is not supported: {exc}", reason="unsupported"
        ) from exc
    except kasa_client.DeviceUnreachable as exc:
        raise DeviceProbeFailed(
            f"No device answered at {ip} (port {port} nor discovery on UDP 20002). Check the "
            "address and that it is powered.",
            reason="unreachable",
        ) from exc


def _credentials_problem(ip: str, model: str, *, given: bool, household: bool) -> ApiError:
    what = f"The {model} at {ip}" if model else f"The device at {ip}"
    if given:
        return CredentialsRejected(
            f"{what} refused these TP-Link account credentials. Check the e-mail and "
            "password of the account the device was set up with (Kasa or Tapo app)."
        )
    if household:
        return CredentialsRejected(
            f"{what} refused the household's TP-Link account. Give the e-mail and password "
            "of the account this device was set up with."
        )
    return CredentialsRequired(
        f"{what} uses newer firmware (KLAP/AES) and needs the TP-Link account it was set "
        "up with: give its e-mail (username) and password."
    )


def device_update(*, device: Device, data: dict, actor=None, request=None) -> Device:
    """Edit a device: alias (renamed on the device itself), address, port, enabled, notes,
    credentials. A new address drops the stored credentials unless new ones come along."""
    old_host, old_port = device.host, device.port
    moved = (data.get("host", old_host), data.get("port", old_port)) != (old_host, old_port)
    resupplied = "credentials" in data
    if resupplied:
        login = data["credentials"]
    else:  # never the old address's credentials at a new one, not even for the rename
        top = device.parent if device.parent_id else device
        login = None if moved else cloud_account.credentials_for(top, cloud_account.household())
    alias = data.pop("alias", None)
    if alias is not None and alias != device.alias:
        host, port = data.get("host", device.host), data.get("port", device.port)
        result = _talk(
            kasa_client.set_alias(
                host, port, alias, device.child_id or None, _timeout(), login, device.connection
            )
        )
        device.alias = _own_alias(device, result)
    if "credentials" in data:
        device.credentials = encrypt_credentials(data.pop("credentials"))
    assign(device, data)
    with transaction.atomic():
        if moved and not resupplied:
            device_address_changed(device, old_host=old_host, old_port=old_port,
                                   actor=actor, request=request)  # fmt: skip
        device.save()
        if device.is_strip and moved:
            device.outlets.update(host=device.host, port=device.port, updated_at=timezone.now())
        audit_record(
            "device.update", actor=actor, request=request, target=device, details=_safe(data)
        )
    return device


def device_credentials_fix(
    *,
    device: Device,
    credentials: CloudCredentials,
    household: bool = True,
    actor=None,
    request=None,
) -> Device:
    """New TP-Link credentials for a device that refuses its own (status auth_failed).

    They are tried on the device first: refused ones are a 400 and nothing is stored.
    Accepted ones become the household's account (household=True: every device without its
    own uses it, and this device's own are dropped) or this device's own. A poll is then
    queued, which brings the device back and backfills the gap's kWh (docs/devices.md).
    """
    top = device.parent if device.parent_id else device
    try:
        asyncio.run(
            kasa_client.poll(top.host, top.port, _timeout(), credentials, connection=top.connection)
        )
    except kasa_client.DeviceAuthFailed as exc:
        raise _credentials_problem(top.host, top.model, given=True, household=False) from exc
    except kasa_client.DeviceUnreachable as exc:
        raise DeviceUnreachableError(f"The device did not answer: {exc}") from exc
    except KasaClientError as exc:
        raise DeviceRefused(str(exc), reason=exc.reason) from exc
    with transaction.atomic():
        if household:
            cloud_account.household_set(credentials, actor=actor, request=request)
            top.credentials = ""
        else:
            top.credentials = encrypt_credentials(credentials)
        top.save(update_fields=["credentials", "updated_at"])
        audit_record(
            "device.credentials_set", actor=actor, request=request, target=top,
            details={"scope": "household" if household else "device"},
        )  # fmt: skip
    from .tasks import poll_device  # the worker polls (and backfills) in its own loop

    transaction.on_commit(lambda: poll_device.delay(top.pk))
    return top


def device_address_changed(
    device: Device, *, old_host: str, old_port: int, actor=None, request=None
) -> bool:
    """Clear the stored credentials of a device moved off old_host:old_port (the caller
    saves it): they were given for that address, and the next poll would log in to the new
    one with them. Audited; return whether there were any."""
    if not device.credentials or (device.host, device.port) == (old_host, old_port):
        return False
    device.credentials = ""
    device.outlets.exclude(credentials="").update(credentials="")
    audit_record(
        "device.credentials_cleared", actor=actor, request=request, target=device,
        severity="warning", details={"reason": "address changed", "from": f"{old_host}:{old_port}",
                                     "to": f"{device.host}:{device.port}"},
    )  # fmt: skip
    return True


def device_delete(*, device: Device, actor=None, request=None) -> None:
    """Delete a device with its outlets, readings and rollups (audited)."""
    if device.parent_id:
        raise OutletOfStrip()
    with transaction.atomic():
        audit_record(
            "device.delete",
            actor=actor,
            request=request,
            target=device,
            severity="warning",
            details={"device_id": device.device_id, "host": device.host},
        )
        device.delete()


def device_set_power(*, device: Device, action: PowerAction, actor=None, request=None) -> Device:
    """Switch a device (or outlet) on, off or toggle it; audit and push the new state."""
    if not system_selectors.system_config().allow_device_control:
        audit_record(
            "device.control", actor=actor, request=request, target=device,
            outcome="failure", details={"action": action, "why": "control disabled"},
        )  # fmt: skip
        raise DeviceControlDisabled()
    on = {"on": True, "off": False, "toggle": None}[action]
    strip = device.parent if device.parent_id else device
    login = cloud_account.credentials_for(strip, cloud_account.household())
    try:
        result = _talk(
            kasa_client.set_power(
                strip.host,
                strip.port,
                on,
                device.child_id or None,
                _timeout(),
                login,
                strip.connection,
            )  # fmt: skip
        )
    except (DeviceUnreachableError, DeviceRefused):
        audit_record(
            "device.control", actor=actor, request=request, target=device,
            outcome="failure", details={"action": action},
        )  # fmt: skip
        raise
    changed = _apply_state(strip, result)
    audit_record(
        "device.control", actor=actor, request=request, target=device,
        details={"action": action, "is_on": _find(changed, device).is_on},
    )  # fmt: skip
    now = timezone.now()
    events.send_many([events.update_message(d, now) for d in changed])
    return _find(changed, device)


def _apply_state(strip: Device, result: PollResult) -> list[Device]:
    """Store the state read back after a switch (no reading: the next poll measures)."""
    now = timezone.now()
    assign(strip, without_counters(live_of(result)))
    strip.last_seen = now
    changed = [strip]
    outlets = {o.device_id: o for o in strip.outlets.all()} if result.children else {}
    for data in result.children:
        outlet = outlets.get(data.device_id)
        if outlet is not None:
            outlet.is_on, outlet.current_power_w, outlet.last_seen = (
                data.is_on,
                data.power_w,
                now,
            )
            changed.append(outlet)
    for device in changed:
        device.updated_at = now  # bulk_update skips auto_now; list caches key on it
    Device.objects.bulk_update(changed, ["is_on", "current_power_w", "last_seen", "updated_at"])
    return changed


def _find(devices: list[Device], wanted: Device) -> Device:
    return next(d for d in devices if d.pk == wanted.pk)


def _own_alias(device: Device, result: PollResult) -> str:
    if not device.child_id:
        return result.alias
    return next((o.alias for o in result.children if o.child_id == device.child_id), "")


# -- helpers ------------------------------------------------------------------------------


def _timeout() -> float:
    return settings.KASA_DEVICE_TIMEOUT * 2


def _talk(coro) -> PollResult:
    """Run one device conversation from sync code; device errors become API errors."""
    try:
        return asyncio.run(coro)
    except kasa_client.DeviceUnreachable as exc:
        raise DeviceUnreachableError(f"The device did not answer: {exc}") from exc
    except KasaClientError as exc:
        raise DeviceRefused(str(exc), reason=exc.reason) from exc


def _safe(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "credentials"}
