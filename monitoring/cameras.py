"""Cameras: saving (password encrypted), stream info, RTSP connection tests and polling."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kasamonitor.addresses import AddressError, clean_url
from security.services import audit_record

from . import conf, crypto, rtsp
from .models import AlertRule, Camera, Reachability
from .netcheck import bounded_gather
from .rules import evaluate

FIELDS = ("name", "ip_address", "rtsp_url", "username", "location", "snapshot_url", "enabled")


def split_credentials(url: str) -> tuple[str, str, str]:
    """Return (re-serialised url without user info, username, password) for an rtsp:// URL;
    raise AddressError for anything else."""
    parsed = clean_url(url, schemes=rtsp.SCHEMES)
    return parsed.bare, parsed.username or "", parsed.password or ""


def _address(url: str) -> tuple[str, int] | None:
    """(host, port) the probe connects to; None for a URL that does not parse."""
    try:
        parsed = clean_url(url, schemes=rtsp.SCHEMES)
    except AddressError:
        return None
    return parsed.host, parsed.port


def _apply(camera: Camera, data: dict) -> dict:
    """Set the fields; return what to audit beyond the field names."""
    data = dict(data)
    # The stored URL, not the instance's: a ModelForm (the admin console) has already put
    # the new URL on the instance by the time it is saved.
    stored = Camera.objects.filter(pk=camera.pk).values_list("rtsp_url", flat=True).first()
    old_address = _address(stored if stored is not None else camera.rtsp_url)
    if "rtsp_url" in data:
        data["rtsp_url"], user, password = split_credentials(data["rtsp_url"])
        if user and not data.get("username"):
            data["username"] = user
        if password and "password" not in data:
            data["password"] = password
    notes = {}
    moved = camera.pk and "rtsp_url" in data and _address(data["rtsp_url"]) != old_address
    if moved and "password" not in data and camera.password_encrypted:
        # The password was given for the old host: the new one must not receive it.
        data["password"] = ""
        notes["password_cleared"] = "the camera's host or port changed"
    for name in FIELDS:
        if name in data:
            setattr(camera, name, data[name])
    if "password" in data:
        camera.password_encrypted = crypto.encrypt(data["password"] or "")
    if not camera.ip_address:
        camera.ip_address = urlsplit(camera.rtsp_url).hostname or ""
    return notes


def camera_save(camera: Camera, *, actor, data: dict) -> Camera:
    """Create or change a camera; credentials in the URL move to username/password, a
    password left out stays as it was and "" removes it. A new host or port in rtsp_url
    clears the stored password unless one is given with it."""
    created = camera.pk is None
    try:
        notes = _apply(camera, data)
    except AddressError as exc:
        raise ValidationError({"rtsp_url": str(exc)}) from exc
    camera.full_clean()
    with transaction.atomic():
        camera.save()
        action = "camera.create" if created else "camera.update"
        details = {"fields": sorted(data), **notes}
        audit_record(action, actor=actor, target=camera, details=details)
        if notes:
            audit_record("camera.password_cleared", actor=actor, target=camera,
                         severity="warning", details=notes)  # fmt: skip
    return camera


def camera_delete(camera: Camera, *, actor) -> None:
    audit_record("camera.delete", actor=actor, target=camera, severity="warning")
    camera.delete()


def public_rtsp_url(camera: Camera) -> str:
    """Return the RTSP URL with the username but never the password."""
    parts = urlsplit(camera.rtsp_url)
    if not camera.username or not parts.hostname:
        return camera.rtsp_url
    return urlunsplit(parts._replace(netloc=f"{quote(camera.username, safe='')}@{parts.netloc}"))


def camera_stream_info(camera: Camera) -> dict:
    """Return what a front end needs to open the stream (no password)."""
    return {
        "camera_id": camera.pk,
        "name": camera.name,
        "protocol": "rtsp",
        "transport": "tcp",
        "rtsp_url": public_rtsp_url(camera),
        "username": camera.username,
        "requires_auth": camera.has_password or camera.auth_required,
        "snapshot_url": camera.snapshot_url or camera.last_snapshot or None,
        "status": camera.status,
        "last_seen": camera.last_seen,
    }


def _probe(camera: Camera):
    return rtsp.probe(
        camera.rtsp_url,
        username=camera.username,
        password=crypto.decrypt(camera.password_encrypted),
        timeout=conf.get("rtsp_timeout"),
    )


def _record(camera: Camera, result: rtsp.RtspProbe) -> bool:
    """Store a probe's outcome; return whether the status changed."""
    changed = camera.status != result.status
    now = timezone.now()
    camera.status, camera.last_checked_at = result.status, now
    camera.auth_required = result.auth_required
    camera.last_error = "" if result.status == Reachability.ONLINE else result.detail[:255]
    if result.status == Reachability.ONLINE:
        camera.last_seen = now
    camera.save(
        update_fields=["status", "last_checked_at", "auth_required", "last_error", "last_seen"]
    )
    return changed


def camera_test(camera: Camera) -> dict:
    """Test the camera's RTSP connection now, store the result and update its alerts."""
    result = asyncio.run(_probe(camera))
    with transaction.atomic():
        changed = _record(camera, result)
        evaluate(kinds=[AlertRule.Kind.CAMERA_UNREACHABLE])
    return {
        "camera_id": camera.pk,
        "status": result.status,
        "status_changed": changed,
        "auth_required": result.auth_required,
        "detail": result.detail,
        "server": result.server,
        "latency_ms": result.latency_ms,
    }


def camera_poll_all() -> int:
    """Test every enabled camera concurrently; return how many changed status."""
    cameras = list(Camera.objects.filter(enabled=True))
    if not cameras:
        return 0
    limit = conf.get("probe_concurrency")
    results = asyncio.run(bounded_gather((_probe(c) for c in cameras), limit))
    with transaction.atomic():
        changed = sum(_record(c, r) for c, r in zip(cameras, results, strict=True))
        evaluate(kinds=[AlertRule.Kind.CAMERA_UNREACHABLE])
    return changed
