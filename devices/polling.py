"""Poll every enabled device: python-kasa concurrently, then one bulk write and the events."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import resource
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kasamonitor import locks
from system import selectors as system_selectors

from . import bulk, events, ingest, kasa_client, rollups
from .cloud_account import credentials_for, household
from .identity import IDENTITY_FIELDS, LIVE_FIELDS, assign, identity_of, live_of
from .identity import outlet_identity_of as outlet_identity
from .kasa_client import KasaClientError, OutletResult, PollResult
from .models import Device, Outage, Reading
from .signals import device_status_changed, poll_finished, rollups_updated

logger = logging.getLogger(__name__)

LOCK_KEY = "devices:poll-lock"
LOCK_TTL = 300  # seconds; a holder that died on another machine frees it then (kasamonitor.locks)
OFFLINE_AFTER = 2  # failed polls
FAILED = (Device.Status.OFFLINE, Device.Status.AUTH_FAILED)  # statuses with an open outage
STATE_FIELDS = [
    *IDENTITY_FIELDS, *LIVE_FIELDS, "status", "offline_reason", "failed_polls", "failing_since",
    "energy_total_kwh", "last_seen", "last_polled_at", "last_reading_at", "updated_at",
]  # fmt: skip
Target = tuple[str, int]


@dataclass
class PollSummary:
    polled: int = 0
    succeeded: int = 0
    failed: int = 0
    readings: int = 0
    went_offline: list[int] = field(default_factory=list)
    came_online: list[int] = field(default_factory=list)
    skipped: bool = False
    kasa_seconds: float = 0.0
    write_seconds: float = 0.0  # everything after python-kasa returned, hooks included
    events_seconds: float = 0.0
    hook_seconds: float = 0.0  # rollups_updated receivers (billing's pricing)


def poll_lock(wait: float = 0.0):
    """Hold the fleet-wide poll lock; yields False if another live process holds it."""
    return locks.held(LOCK_KEY, LOCK_TTL, wait)


class _Poller:
    """One long-lived event loop per process and the device connections kept in it, so each
    poll after the first is one update() per device. The worker's threads take turns (a
    device accepts few connections: one set per process, not one per thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runner: asyncio.Runner | None = None
        self.connections: kasa_client.Connections | None = None
        self.pid: int | None = None

    def run(self, make_coro):
        """Run make_coro(connections) in the process's loop, creating it on first use."""
        with self.lock:
            if self.runner is None or self.pid != os.getpid():  # a forked child starts afresh
                self.runner, self.connections = asyncio.Runner(), kasa_client.Connections()
                self.pid = os.getpid()
                _raise_open_file_limit()
                atexit.register(_close_poller, self.runner, self.connections)
            return self.runner.run(make_coro(self.connections))


def _close_poller(runner: asyncio.Runner, connections: kasa_client.Connections) -> None:
    try:
        runner.run(connections.close())
    finally:
        runner.close()


def _raise_open_file_limit() -> None:
    """Kept connections need one descriptor per device: lift the soft limit (often 1024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


_poller = _Poller()


def device_poll_all() -> PollSummary:
    """Poll every enabled device unless another poll run holds the lock."""
    with poll_lock() as acquired:
        if not acquired:
            logger.info("Poll skipped: the previous run is still going")
            return PollSummary(skipped=True)
        devices = list(Device.objects.filter(enabled=True, parent__isnull=True))
        return poll_devices(devices, whole_fleet=True)


def device_poll_one(device: Device) -> PollSummary:
    """Poll one device now (a strip outlet is polled through its strip)."""
    top = device.parent if device.parent_id else device
    with poll_lock(wait=settings.KASA_POLL_DEADLINE * 4 + 5) as acquired:
        if not acquired:
            return PollSummary(skipped=True)
        return poll_devices([top])


def poll_devices(devices: list[Device], whole_fleet: bool = False) -> PollSummary:
    """Poll these top-level devices and record the results (the caller holds the lock).

    `whole_fleet` says `devices` is every enabled device: connections kept to any other
    address (a removed, disabled or moved device) are closed.
    """
    summary = PollSummary(polled=len(devices))
    if not devices and not whole_fleet:
        return summary
    outlets = _outlets_of(devices)  # the ORM stays outside the event loop
    account = household() if any(d.connection for d in devices) else None
    logins = {d.pk: login for d in devices if (login := credentials_for(d, account))}
    started = time.perf_counter()
    results = _poller.run(lambda kept: _ask_devices(devices, outlets, kept, whole_fleet, logins))
    if not devices:
        return summary
    summary.kasa_seconds = time.perf_counter() - started
    started = time.perf_counter()
    recorder = _Recorder(devices, results, summary)
    recorder.run()
    summary.write_seconds = time.perf_counter() - started
    transaction.on_commit(lambda: _send_poll_finished(recorder))
    return summary


def _send_poll_finished(recorder: _Recorder) -> None:
    touched = list({id(d): d for d in recorder.dirty if d.pk}.values())
    poll_finished.send(
        sender=Device, summary=recorder.summary, readings=recorder.readings, devices=touched
    )


async def _ask_devices(
    devices: list[Device],
    outlets: dict[int, list[Device]],
    connections: kasa_client.Connections,
    whole_fleet: bool,
    logins: dict,
) -> tuple[dict, dict]:
    credentials = {(d.host, d.port): logins[d.pk] for d in devices if d.pk in logins}
    targets = [(d.host, d.port) for d in devices]
    if whole_fleet:
        await connections.keep_only(targets)
    results = await kasa_client.poll_many(
        targets,
        concurrency=settings.KASA_POLL_CONCURRENCY,
        timeout=settings.KASA_DEVICE_TIMEOUT,
        deadline=settings.KASA_POLL_DEADLINE,
        credentials_for=credentials,
        connection_for={(d.host, d.port): d.connection for d in devices if d.connection},
        connections=connections,
    )
    return results, await _gap_histories(devices, outlets, results, logins)


async def _gap_histories(
    devices: list[Device], outlets: dict[int, list[Device]], results: dict, logins: dict
) -> dict[int, dict]:
    """Fetch the devices' own daily kWh for whole days missed since their last reading."""
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    wanted = []
    for device in devices:
        if not isinstance(results.get((device.host, device.port)), PollResult):
            continue
        members = outlets.get(device.pk, []) if device.is_strip else [device]
        gaps = {
            m: ingest.whole_days_between(m.last_reading_at, now, tz)
            for m in members
            if m.has_emeter and m.last_reading_at
        }
        if any(gaps.values()):
            wanted.append((device, {m: days for m, days in gaps.items() if days}))
    fetched = await asyncio.gather(*(_history(d, gaps, logins.get(d.pk), tz) for d, gaps in wanted))
    return {pk: days for batch in fetched for pk, days in batch.items()}


async def _history(
    device: Device, gaps: dict[Device, list], login, tz: ZoneInfo
) -> dict[int, dict]:
    months = sorted({(day.year, day.month) for days in gaps.values() for day in days})
    child_ids = [m.child_id or None for m in gaps]
    try:
        by_child = await kasa_client.daily_history(
            device.host, device.port, months, child_ids,
            timeout=settings.KASA_DEVICE_TIMEOUT * 3,
            credentials=login, connection=device.connection, tz=tz,
        )  # fmt: skip
    except KasaClientError as exc:
        logger.warning("No daily history from %s for backfill: %s", device.host, exc)
        return {}
    return {m.pk: by_child.get(m.child_id or None, {}) for m in gaps}


def _outlets_of(devices: list[Device]) -> dict[int, list[Device]]:
    strips = [d.pk for d in devices if d.is_strip]
    by_parent: dict[int, list[Device]] = defaultdict(list)
    if strips:
        for outlet in Device.objects.filter(parent_id__in=strips):
            by_parent[outlet.parent_id].append(outlet)
    for device in devices:
        device.cached_outlets = by_parent.get(device.pk, [])
    return by_parent


def _previous(device: Device) -> ingest.Previous:
    return ingest.Previous(
        device.last_reading_at, device.energy_total_kwh, device.current_power_w,
        device.month_energy_kwh,  # a reading's counter: only polls write it (see _apply_state)
    )  # fmt: skip


class _Recorder:
    """Turn one run's results into readings, rollups, device state, outages and events."""

    def __init__(self, devices: list[Device], results: tuple[dict, dict], summary: PollSummary):
        self.devices = devices
        self.results, self.histories = results
        self.summary = summary
        self.now = timezone.now()
        self.tz = ZoneInfo(settings.TIME_ZONE)
        interval = system_selectors.system_config().polling_interval
        self.cap = max(2 * interval, 300)
        self.readings: list[Reading] = []
        self.hours: dict = defaultdict(ingest.Bucket)
        self.days: dict = defaultdict(ingest.Bucket)
        self.dirty: list[Device] = []
        self.messages: list = []
        self.changes: list[tuple[Device, str, str]] = []  # (device, old status, new status)

    def run(self) -> None:
        owners = {d.device_id: d for d in self.devices} | self._found_elsewhere()
        # Addresses as polled: a success below may move a device to another address.
        polled = [(d, self.results.get((d.host, d.port))) for d in self.devices]
        handled: set[int] = set()
        for _, result in polled:
            owner = owners.get(result.device_id) if isinstance(result, PollResult) else None
            if owner is not None and id(owner) not in handled:
                # Matched by device id, not by address: a device that moved to another
                # known device's old IP is recorded under its own row (DHCP reshuffles).
                self._succeeded(owner, result)
                handled.add(id(owner))
        for device, result in polled:
            if id(device) in handled:
                continue
            if not isinstance(result, KasaClientError):
                message = f"{device.host}:{device.port} answers as another device now"
                result = kasa_client.DeviceUnreachable(message)
            self._failed(device, result)
        self._write()

    def _found_elsewhere(self) -> dict[str, Device]:
        polled = {d.device_id for d in self.devices}
        strangers = {
            r.device_id
            for r in self.results.values()
            if isinstance(r, PollResult) and r.device_id not in polled
        }
        if not strangers:
            return {}
        found = list(Device.objects.filter(device_id__in=strangers, parent__isnull=True))
        _outlets_of(found)
        return {d.device_id: d for d in found}

    # -- outcomes ------------------------------------------------------------------------

    def _succeeded(self, device: Device, result: PollResult) -> None:
        self.summary.succeeded += 1
        prev = _previous(device)  # before the new values overwrite the baseline
        assign(device, {**identity_of(result), **live_of(result)})
        self._mark_online(device)
        if device.is_strip:
            device.energy_total_kwh = result.energy_total_kwh  # shown only; outlets count
            for outlet in result.children:
                self._outlet(device, result, outlet)
        else:
            self._record(device, prev, result, result)
        self.messages.append(events.update_message(device, result.polled_at))

    def _outlet(self, strip: Device, result: PollResult, data: OutletResult) -> None:
        outlets = {o.device_id: o for o in getattr(strip, "cached_outlets", [])}
        outlet = outlets.get(data.device_id)
        if outlet is None:  # first poll since this outlet appeared: give it a row now
            outlet = Device(device_id=data.device_id, parent=strip)
            assign(outlet, {**outlet_identity(result, data), **live_of(data)})
            outlet.save()
        prev = _previous(outlet)
        assign(outlet, {**outlet_identity(result, data), **live_of(data)})
        self._mark_online(outlet)
        self._record(outlet, prev, data, result)
        self.messages.append(events.update_message(outlet, result.polled_at))

    def _record(
        self,
        device: Device,
        prev: ingest.Previous,
        data: PollResult | OutletResult,
        result: PollResult,
    ) -> None:
        at = result.polled_at
        sample = ingest.Sample(
            at, data.is_on, data.power_w, data.energy_total_kwh,
            self.histories.get(device.pk, {}), data.month_kwh,
        )  # fmt: skip
        gained = ingest.contributions(prev, sample, tz=self.tz, cap_seconds=self.cap)
        device.energy_total_kwh = data.energy_total_kwh
        device.last_reading_at = at
        self.readings.append(
            Reading(
                device=device, timestamp=at, is_on=data.is_on, power_w=data.power_w,
                voltage=data.voltage, current=data.current,
                energy_total_kwh=data.energy_total_kwh, energy_delta_kwh=gained.energy_delta_kwh,
            )
        )  # fmt: skip
        for hour, bucket in gained.hours.items():
            self.hours[(device, hour)].add(bucket)
        for day, bucket in gained.days.items():
            self.days[(device, day)].add(bucket)

    def _failed(self, device: Device, error: KasaClientError) -> None:
        self.summary.failed += 1
        logger.info("Poll of %s failed: %s", device, error)
        for member in [device, *getattr(device, "cached_outlets", [])]:
            member.failed_polls += 1
            member.failing_since = member.failing_since or self.now
            member.last_polled_at = self.now
            if member.failed_polls >= OFFLINE_AFTER:
                self._mark_failed(member, error.reason)
            self.dirty.append(member)

    def _mark_online(self, device: Device) -> None:
        was = device.status
        device.status, device.offline_reason = Device.Status.ONLINE, ""
        device.failed_polls, device.failing_since = 0, None
        device.last_seen = device.last_polled_at = self.now
        self.dirty.append(device)
        if was != Device.Status.ONLINE:
            self.summary.came_online.append(device)
            self.changes.append((device, was, Device.Status.ONLINE))
            if device.parent_id is None:
                self.messages.append(events.status_message(device, self.now))

    def _mark_failed(self, device: Device, reason: str) -> None:
        """offline, or auth_failed when the device answered but refused its credentials."""
        was = device.status
        new = Device.Status.AUTH_FAILED if reason == "auth_failed" else Device.Status.OFFLINE
        device.offline_reason = reason  # the reason may change while failing
        if was == new:
            return
        device.status = new
        self.changes.append((device, was, new))
        if was not in FAILED:  # one outage from the first failure until it is back
            self.summary.went_offline.append(device)
        if device.parent_id is None:
            self.messages.append(events.status_message(device, self.now))

    # -- writing -------------------------------------------------------------------------

    def _write(self) -> None:
        with transaction.atomic():
            self._save_devices()
            self._save_outages()
            rollups.write(self.readings, self._keyed(self.hours), self._keyed(self.days))
        self.summary.readings = len(self.readings)
        hours = self._keyed(self.hours)
        days = self._keyed(self.days)
        changes = [(d.pk, old, new) for d, old, new in self.changes if d.pk]
        transaction.on_commit(lambda: self._after_commit(hours, days, changes))

    def _save_devices(self) -> None:
        unique = list({id(d): d for d in self.dirty if d.pk}.values())
        for device in unique:
            device.updated_at = self.now
        # One statement for all (bulk_update's CASE WHEN per field and row took seconds).
        columns = [Device._meta.get_field(name).column for name in STATE_FIELDS]
        names = [Device._meta.get_field(name).attname for name in STATE_FIELDS]
        rows = [[getattr(d, name) for name in names] + [d.pk] for d in unique]
        bulk.update(Device, columns, rows)

    def _save_outages(self) -> None:
        went = self.summary.went_offline
        Outage.objects.bulk_create(
            Outage(device=d, started_at=d.failing_since or self.now, reason=d.offline_reason)
            for d in went
        )
        back = [d.pk for d in self.summary.came_online]
        if back:
            Outage.objects.filter(device_id__in=back, ended_at__isnull=True).update(
                ended_at=self.now
            )
        self.summary.went_offline = [d.pk for d in went]
        self.summary.came_online = back

    def _send_status_changes(self, changes: list[tuple[int, str, str]]) -> None:
        if not changes:
            return
        devices = Device.objects.in_bulk([pk for pk, _, _ in changes])
        for pk, old, new in changes:
            device_status_changed.send(
                sender=Device, device=devices[pk], old_status=old, new_status=new
            )

    @staticmethod
    def _keyed(buckets: dict) -> dict:
        return {(device.pk, key): bucket for (device, key), bucket in buckets.items()}

    def _after_commit(self, hours: dict, days: dict, changes: list) -> None:
        started = time.perf_counter()
        events.send_many(self.messages)
        self.summary.events_seconds = time.perf_counter() - started
        if hours:
            started = time.perf_counter()
            rollups_updated.send(
                sender=Device,
                device_ids=sorted({pk for pk, _ in hours}),
                hours=sorted({h for _, h in hours}),
            )
            self.summary.hook_seconds = time.perf_counter() - started
        self._send_status_changes(changes)
        if self.summary.went_offline:
            from .tasks import schedule_rediscovery

            schedule_rediscovery()
