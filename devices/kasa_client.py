"""The only module that talks to python-kasa: discover, poll and switch devices.

Every call connects, does its work and disconnects inside the caller's event loop, because
a kasa Device holds asyncio streams bound to the loop that opened them — except polls made
through a `Connections` pool, which keeps each device's connection for the next poll in the
same loop (the poller runs one long-lived loop per thread). Results are plain frozen
dataclasses. Each device call has a per-attempt timeout (DeviceConfig) and a hard
deadline (asyncio.wait_for): python-kasa alone retries a hung device for 4 x timeout + 3 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from kasa import Credentials, Device, DeviceConfig

logger = logging.getLogger(__name__)

DEFAULT_PORT = 9999
DEFAULT_TIMEOUT = 5.0
DEFAULT_CONCURRENCY = 20
SMART_PORTS = (80, 4433)  # KLAP/AES over HTTP, and HTTPS
EMPTY_ADDRESS_GRACE = 0.25  # s to wait for a discovery reply when no port is open at all
HANDSHAKES_AT_ONCE = 16  # new KLAP/AES connections a Connections pool makes at a time

T = TypeVar("T")
# The hard deadline of the device conversation running in this task (_guarded).
_DEADLINE: contextvars.ContextVar[asyncio.Timeout | None] = contextvars.ContextVar(
    "kasa_deadline", default=None
)
DeviceKind = Literal["plug", "strip", "bulb", "switch", "dimmer"]
Target = tuple[str, int]

_KINDS: dict[str, DeviceKind] = {  # by python-kasa's DeviceType member name
    "Plug": "plug",
    "Strip": "strip",
    "Bulb": "bulb",
    "LightStrip": "bulb",
    "WallSwitch": "switch",
    "Dimmer": "dimmer",
}


def _kasa():
    """python-kasa, imported on first use: it brings aiohttp and cryptography (~30 MiB and
    0.3 s of start-up), which the web process needs only when someone adds or switches a
    device; the worker imports it at its first poll."""
    import kasa
    import kasa.device_factory
    import kasa.interfaces
    import kasa.iot
    import kasa.smart

    _ssl_context_at_hand()
    _account_only_when_given()
    return kasa


@functools.cache
def _ssl_context_at_hand() -> None:
    """python-kasa 0.12's KLAP transport asks for its (cached) SSL context before every
    request through a thread-pool hop, even over plain HTTP: one thread switch per request
    and device, a fifth of a kept poll's time here. Build it once and hand it over directly."""
    from kasa.transports import klaptransport, sslcontext

    context = sslcontext._create_ssl_context()

    async def ready():
        return context

    klaptransport.get_ssl_context = ready


@functools.cache
def _account_only_when_given() -> None:
    """python-kasa 0.12 falls back to TP-Link's default credentials (KLAP: Kasa's and
    blank ones, in handshake1; AES: Tapo's, in login_device) when a device refuses the
    account. When an account was given, a host that answers only to those is not the
    device the account is for: a plug that was factory-reset, or a host on the LAN that took
    its address without knowing the account (KLAP would otherwise authenticate it and we
    would store its readings). Refused as the account being rejected (auth_failed), so the
    household sees it. Without an account the defaults are all there is, and stay."""
    from kasa.credentials import Credentials
    from kasa.exceptions import AuthenticationError
    from kasa.transports import aestransport, klaptransport

    def account_given(transport) -> bool:
        return bool(transport._credentials_hash) or transport._credentials != Credentials()

    handshake1 = klaptransport.KlapTransport.perform_handshake1

    async def account_only_handshake1(self):
        local_seed, remote_seed, auth_hash = await handshake1(self)
        if auth_hash != self._local_auth_hash and account_given(self):
            raise AuthenticationError(
                f"Device {self._host} answered only to TP-Link's default or blank credentials, "
                "not to the account"
            )
        return local_seed, remote_seed, auth_hash

    async def account_only_login(self):
        if not account_given(self):
            return await login(self)
        await self.try_login(self._login_params)  # no retry with Tapo's default account

    login = aestransport.AesTransport.perform_login
    klaptransport.KlapTransport.perform_handshake1 = account_only_handshake1
    aestransport.AesTransport.perform_login = account_only_login


# -- errors -------------------------------------------------------------------------------


class KasaClientError(Exception):
    """Base class; `reason` is "unreachable", "auth_failed" or "unsupported"."""

    reason = "unreachable"

    def __init__(self, message: str, *, host: str | None = None, port: int | None = None):
        super().__init__(message)
        self.host = host
        self.port = port


class DeviceUnreachable(KasaClientError):
    """Nothing answered in time, the connection was refused, or the reply was unusable."""

    reason = "unreachable"


class DeviceAuthFailed(KasaClientError):
    """The device needs (other) TP-Link cloud credentials."""

    reason = "auth_failed"
    model = ""  # from the discovery reply, when there was one


class DeviceUnsupported(KasaClientError):
    """The device answered but python-kasa or this project cannot handle it."""

    reason = "unsupported"


class NotAKasaDevice(DeviceUnsupported):
    """Something accepted the connection but did not speak the Kasa protocol."""


class OutletNotFound(DeviceUnsupported):
    """The device has no outlet with the given child id."""


# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloudCredentials:
    """TP-Link cloud login, needed only by newer (KLAP/AES) firmware."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class OutletResult:
    """One socket of a power strip (HS300): its own id, state and energy."""

    device_id: str  # f"{strip MAC}_{child_id}", stable across DHCP changes
    child_id: str
    index: int
    alias: str
    is_on: bool
    power_w: float | None = None
    voltage: float | None = None
    current: float | None = None
    energy_total_kwh: float | None = None
    today_kwh: float | None = None
    month_kwh: float | None = None


@dataclass(frozen=True)
class PollResult:
    """A device's identity, state and energy readings at `polled_at` (UTC)."""

    host: str
    port: int
    mac: str
    device_id: str
    alias: str
    model: str
    device_type: DeviceKind
    hw_version: str
    fw_version: str
    has_emeter: bool
    is_on: bool
    rssi: int | None
    power_w: float | None = None
    voltage: float | None = None
    current: float | None = None
    energy_total_kwh: float | None = None
    today_kwh: float | None = None
    month_kwh: float | None = None
    children: tuple[OutletResult, ...] = ()
    # How to reach it next time: python-kasa's connection parameters ({} = the legacy protocol)
    connection: Mapping[str, Any] = field(default_factory=dict)
    polled_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Locked:
    """A device that answered discovery but refused to be read (KLAP/AES credentials)."""

    host: str
    model: str
    mac: str
    reason: str  # KasaClientError.reason: "auth_failed", "unreachable", "unsupported"
    message: str


@dataclass(frozen=True)
class Discovery:
    found: list[PollResult]
    locked: list[Locked]


# -- public API ---------------------------------------------------------------------------


async def discover(
    targets: list[str],
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    *,
    poll_timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[PollResult]:
    """Broadcast discovery to each target for `timeout` s, then read every device found.

    Devices that vanish or fail while being read are logged and left out (discover_all
    lists them).
    """
    found = await discover_all(
        targets, timeout, credentials, poll_timeout=poll_timeout, concurrency=concurrency
    )
    return found.found


async def discover_all(
    targets: list[str],
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    *,
    poll_timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Discovery:
    """discover(), plus the devices that answered but could not be read, and why."""
    if not targets:
        raise ValueError("discover() needs explicit targets; it never broadcasts by default")
    found: dict[str, Device] = {}
    discoveries = (_discover_target(t, timeout, poll_timeout, credentials) for t in targets)
    batches = await asyncio.gather(*discoveries)
    for batch in batches:
        for host, dev in batch.items():
            found.setdefault(host, dev)
    limit = asyncio.Semaphore(max(1, concurrency))
    locked: list[Locked] = []

    async def read(host: str, dev: Device) -> PollResult | None:
        async with limit:
            try:
                return await _guarded(_read_found(host, dev), host, dev.port, poll_timeout)
            except KasaClientError as exc:
                logger.warning("Discovered %s but could not read it: %s", host, exc)
                locked.append(_locked(host, dev, exc))
                return None

    results = await asyncio.gather(*(read(h, d) for h, d in found.items()))
    return Discovery(
        sorted((r for r in results if r is not None), key=lambda r: _host_key(r.host)),
        sorted(locked, key=lambda lock: _host_key(lock.host)),
    )


def _locked(host: str, dev: Device, exc: KasaClientError) -> Locked:
    model, mac = _discovered_identity(dev)
    return Locked(host, model, mac, exc.reason, str(exc))


def _discovered_identity(dev: Device) -> tuple[str, str]:
    """Model and MAC as the discovery reply gave them (before any update)."""
    info = getattr(dev, "_discovery_info", None) or {}
    model = str(info.get("device_model") or info.get("model") or "")
    mac = str(info.get("mac") or "")
    with contextlib.suppress(Exception):  # properties may need an update on some classes
        model = model or dev.model
    return model.split("(")[0], mac.replace("-", ":").upper()


async def probe(
    host: str,
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    *,
    discovery_timeout: float = 1.0,
) -> PollResult:
    """Talk to a manually added address; tell "nothing there" from "not a Kasa device".

    Two ways at once: the legacy protocol on TCP `port`, and a unicast discovery probe
    (UDP 9999, 20002, 20004), which newer KLAP/AES firmware answers with how to reach it
    (HTTP 80 or 4433). A legacy answer wins; otherwise the discovered device is read with
    `credentials` (DeviceAuthFailed, with the model, when they are missing or wrong).
    """
    found = asyncio.ensure_future(
        _discover_one(host, port, discovery_timeout, timeout, credentials)
    )
    try:
        try:
            return await _probe_legacy(host, port, timeout, credentials)
        except (DeviceUnreachable, NotAKasaDevice) as legacy_error:
            dev = await _discovered(found, host, discovery_timeout)
            if dev is None:
                raise legacy_error from None
        try:
            return await _guarded(_read_found(host, dev), host, dev.port, timeout)
        except DeviceAuthFailed as exc:
            exc.model = _discovered_identity(dev)[0]
            raise
    finally:
        found.cancel()
        with contextlib.suppress(BaseException):
            await found


async def _probe_legacy(
    host: str, port: int, timeout: float, credentials: CloudCredentials | None
) -> PollResult:
    started = time.monotonic()
    await _guarded(_tcp_accepts(host, port), host, port, timeout)
    remaining = max(0.1, timeout - (time.monotonic() - started))
    try:
        return await poll(host, port, remaining, credentials)
    except DeviceUnreachable as exc:
        if isinstance(exc.__cause__, TimeoutError):
            raise  # silent after accepting: a hung plug looks exactly like this
        message = f"{host}:{port} accepts connections but does not speak the Kasa protocol"
        raise NotAKasaDevice(message, host=host, port=port) from exc
    except (KeyError, TypeError, ValueError) as exc:  # a reply kasa could not interpret
        message = f"{host}:{port} gave a reply that is not from a Kasa device: {exc!r}"
        raise NotAKasaDevice(message, host=host, port=port) from exc


async def _discover_one(
    host: str, port: int, wait: float, timeout: float, credentials: CloudCredentials | None
) -> Device | None:
    """The device answering a unicast discovery probe at host, or None.

    `port` is the legacy protocol's (TCP and UDP 9999 unless given). python-kasa would also
    connect a KLAP/AES device on it; such a device says in its answer where it serves (HTTP
    80, HTTPS 4433, its `http_port`), so a port given for the add (say 80 for a device that
    serves HTTPS on 4433) must not override that."""
    try:
        dev = await _kasa().Discover.discover_single(
            host,
            discovery_timeout=wait,  # type: ignore[arg-type]  # floats work
            port=None if port == DEFAULT_PORT else port,
            timeout=timeout,  # type: ignore[arg-type]
            credentials=_kasa_credentials(credentials),
        )
    except (_kasa().KasaException, OSError, TimeoutError) as exc:
        logger.debug("No discovery answer from %s: %s", host, exc)
        return None
    if dev is not None and dev.config.port_override is not None and _connection_of(dev):
        dev.config.port_override = None
        dev.protocol = _kasa().device_factory.get_protocol(dev.config) or dev.protocol
    return dev


async def _discovered(found: asyncio.Future, host: str, wait: float) -> Device | None:
    """Wait for the discovery probe; only briefly when nothing listens on the HTTP ports a
    KLAP/AES device serves (an empty address), so "no device" stays a quick answer."""
    listening = await asyncio.gather(
        *(_accepts(host, p) for p in SMART_PORTS), return_exceptions=True
    )
    grace = wait if any(r is True for r in listening) else min(wait, EMPTY_ADDRESS_GRACE)
    done, _ = await asyncio.wait({found}, timeout=grace)
    return found.result() if done else None


async def _accepts(host: str, port: int) -> bool:
    try:
        await asyncio.wait_for(_tcp_accepts(host, port), 0.5)
    except (OSError, TimeoutError):
        return False
    return True


async def poll(
    host: str,
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    deadline: float | None = None,
    connection: Mapping[str, Any] | None = None,
) -> PollResult:
    """Read a device's state and energy (Device.connect already runs one update)."""

    async def work(dev: Device) -> PollResult:
        return _result(dev, host, port)

    return await _session(host, port, timeout, credentials, work, deadline, connection)


class Connections:
    """Connected devices kept between polls, so a poll is one update() on an open connection.

    Connecting costs a sysinfo query, a full update and a TCP handshake; a kept device needs
    only the update. Use it from one event loop only (a Device's streams belong to the loop
    that opened them). A device that fails in any way is disconnected and forgotten, so the
    next poll starts afresh; so is one whose MAC changed (another device got its address).
    """

    def __init__(self, handshakes_at_once: int = HANDSHAKES_AT_ONCE) -> None:
        # (device, its MAC when connected, the credentials and connection it was made with)
        self._kept: dict[Target, tuple[Device, str, CloudCredentials | None, Mapping | None]] = {}
        # Connecting a KLAP/AES device is a handshake, a component query and a full update:
        # ~20x a kept poll's CPU on both ends. Hundreds at once (a worker's first cycle)
        # starve each other past the deadline and then all retry next cycle; a few at a
        # time each finish in time. A device's deadline starts once it has a slot.
        self._handshakes = asyncio.Semaphore(max(1, handshakes_at_once))

    def __len__(self) -> int:
        return len(self._kept)

    async def poll(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        timeout: float = DEFAULT_TIMEOUT,
        credentials: CloudCredentials | None = None,
        deadline: float | None = None,
        connection: Mapping[str, Any] | None = None,
    ) -> PollResult:
        key = (host, port)
        kept = self._kept.pop(key, None)
        if kept and (kept[2], kept[3]) != (credentials, connection):
            await _disconnect(kept[0])
            kept = None

        async def connect() -> tuple:
            config = _config(host, port, timeout, credentials, connection)
            dev = await _kasa().Device.connect(config=config)
            _ask_only_what_polls_record(dev)
            _renew_sessions_at_once(dev, self._handshakes)
            return (dev, dev.mac, credentials, connection)

        async def work() -> PollResult:
            nonlocal kept
            if kept is None:
                kept = await connect()
            else:
                await kept[0].update()
                if kept[0].mac != kept[1]:  # someone else answers at this address now
                    await _disconnect(kept[0])
                    kept = await connect()
            return _result(kept[0], host, port)

        try:
            if kept is None and connection:
                async with self._handshakes:
                    result = await _guarded(work(), host, port, deadline or timeout)
            else:
                result = await _guarded(work(), host, port, deadline or timeout)
        except BaseException:
            if kept is not None:
                await _disconnect(kept[0])
            raise
        self._kept[key] = kept
        return result

    async def keep_only(self, targets: Iterable[Target]) -> None:
        """Disconnect every device not among `targets` (removed or moved devices)."""
        wanted = set(targets)
        for key in [k for k in self._kept if k not in wanted]:
            await _disconnect(self._kept.pop(key)[0])

    async def close(self) -> None:
        await self.keep_only(())


async def poll_many(
    targets: Iterable[Target],
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    *,
    deadline: float | None = None,
    credentials_for: Mapping[Target, CloudCredentials] | None = None,
    connection_for: Mapping[Target, Mapping[str, Any]] | None = None,
    connections: Connections | None = None,
) -> dict[Target, PollResult | KasaClientError]:
    """Poll many devices at once; each failure is returned in place of its result.

    `credentials_for` gives per-device cloud credentials (falling back to `credentials`),
    `connection_for` per-device connection parameters (PollResult.connection, stored);
    with `connections`, devices stay connected for the next poll from the same event loop.
    """
    limit = asyncio.Semaphore(max(1, concurrency))
    per_target = credentials_for or {}
    links = connection_for or {}
    ask = connections.poll if connections is not None else poll

    async def one(host: str, port: int) -> PollResult | KasaClientError:
        login = per_target.get((host, port), credentials)
        async with limit:  # the deadline starts once a slot is free, not while queued
            try:
                return await ask(host, port, timeout, login, deadline, links.get((host, port)))
            except KasaClientError as exc:
                return exc

    unique = list(dict.fromkeys(targets))
    results = await asyncio.gather(*(one(host, port) for host, port in unique))
    return dict(zip(unique, results, strict=True))


async def set_power(
    host: str,
    port: int,
    on: bool | None,
    child_id: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    connection: Mapping[str, Any] | None = None,
) -> PollResult:
    """Switch a device, or one strip outlet, and return the state read back afterwards.

    on=None toggles, using the state read when connecting (not a cached one).
    """

    async def work(dev: Device) -> PollResult:
        target = _outlet(dev, child_id, host, port) if child_id else dev
        await target.set_state(not target.is_on if on is None else on)
        await dev.update()  # turn_on/off leave the cached state untouched
        return _result(dev, host, port)

    return await _session(host, port, timeout, credentials, work, connection=connection)


async def set_alias(
    host: str,
    port: int,
    alias: str,
    child_id: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    connection: Mapping[str, Any] | None = None,
) -> PollResult:
    """Rename a device (or one strip outlet) on the device itself and read it back."""

    async def work(dev: Device) -> PollResult:
        target = _outlet(dev, child_id, host, port) if child_id else dev
        await target.set_alias(alias)
        await dev.update()
        return _result(dev, host, port)

    return await _session(host, port, timeout, credentials, work, connection=connection)


async def daily_stats(
    host: str,
    port: int,
    year: int,
    month: int,
    child_id: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    connection: Mapping[str, Any] | None = None,
) -> dict[int, float]:
    """Return kWh per day of month as the device recorded it; {} without periodic stats."""

    async def work(dev: Device) -> dict[int, float]:
        target = _outlet(dev, child_id, host, port) if child_id else dev
        energy = _periodic_stats(target)
        if energy is None:
            return {}
        stats = await energy.get_daily_stats(year=year, month=month, kwh=True)
        return {int(day): _float(kwh) or 0.0 for day, kwh in stats.items()}

    return await _session(host, port, timeout, credentials, work, connection=connection)


async def daily_history(
    host: str,
    port: int,
    months: Iterable[tuple[int, int]],
    child_ids: Iterable[str | None] = (None,),
    timeout: float = DEFAULT_TIMEOUT,
    credentials: CloudCredentials | None = None,
    connection: Mapping[str, Any] | None = None,
    tz: tzinfo = UTC,
) -> dict[str | None, dict[date, float]]:
    """Return kWh per day for each (year, month), per outlet (None = the device), in one session.

    Legacy devices keep daily statistics; KLAP/AES ones answer `get_energy_data` for days
    starting at local midnight in `tz`. Devices or outlets without either map to {}.
    """
    wanted = list(dict.fromkeys(months))

    async def work(dev: Device) -> dict[str | None, dict[date, float]]:
        history: dict[str | None, dict[date, float]] = {}
        for child_id in dict.fromkeys(child_ids):
            target = _outlet(dev, child_id, host, port) if child_id else dev
            history[child_id] = await _days(target, wanted, tz)
        return history

    return await _session(host, port, timeout, credentials, work, connection=connection)


async def _days(target: Device, months: list[tuple[int, int]], tz: tzinfo) -> dict[date, float]:
    energy = _periodic_stats(target)
    if energy is None:
        return await _energy_data_days(target, months, tz)
    days: dict[date, float] = {}
    for year, month in months:
        stats = await energy.get_daily_stats(year=year, month=month, kwh=True)
        days.update({date(year, month, int(d)): _float(kwh) or 0.0 for d, kwh in stats.items()})
    return days


async def _energy_data_days(
    target: Device, months: list[tuple[int, int]], tz: tzinfo
) -> dict[date, float]:
    """kWh per day from a KLAP/AES meter's `get_energy_data` (interval 1440: days).

    python-kasa 0.12 has no call for it; the request and answer follow the Tapo community
    libraries and are not verified on hardware (docs/devices.md). A device that does not
    know the call has no history: {}.
    """
    kasa = _kasa()
    if not isinstance(target, kasa.smart.SmartDevice) or kasa.Module.Energy not in target.modules:
        return {}
    days: dict[date, float] = {}
    now = datetime.now(tz)
    for year, month in months:
        first = datetime(year, month, 1, tzinfo=tz)
        following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        request = {"start_timestamp": int(first.timestamp()),
                   "end_timestamp": int(min(following, now).timestamp()), "interval": 1440}  # fmt: skip
        try:
            answer = await target.protocol.query({"get_energy_data": request})
        except kasa.DeviceError as exc:
            logger.info("%s has no daily energy data: %s", target.host, exc)
            return {}
        data = (answer.get("get_energy_data") or {}).get("data") or []
        for n, wh in enumerate(data):
            day = (first + timedelta(days=n)).date()
            if day.month == month and day <= now.date():
                days[day] = round((_float(wh) or 0.0) / 1000, 6)
    return days


# -- connection plumbing ------------------------------------------------------------------


async def _session(
    host: str,
    port: int,
    timeout: float,
    credentials: CloudCredentials | None,
    work: Callable[[Device], Awaitable[T]],
    deadline: float | None = None,
    connection: Mapping[str, Any] | None = None,
) -> T:
    config = _config(host, port, timeout, credentials, connection)

    async def run() -> T:
        dev = await _kasa().Device.connect(config=config)
        try:
            return await work(dev)
        finally:
            await dev.disconnect()

    return await _guarded(run(), host, port, deadline or timeout)


def _config(
    host: str,
    port: int,
    timeout: float,
    credentials: CloudCredentials | None,
    connection: Mapping[str, Any] | None = None,
) -> DeviceConfig:
    """python-kasa's DeviceConfig; `connection` (from discovery) picks KLAP/AES devices'
    protocol, without it the legacy protocol on `port` is used."""
    kasa = _kasa()
    config = kasa.DeviceConfig(
        host=host,
        port_override=None if port == DEFAULT_PORT else port,
        timeout=timeout,  # type: ignore[arg-type]  # kasa annotates int; floats work
        credentials=_kasa_credentials(credentials),
    )
    if connection:
        config.connection_type = kasa.DeviceConnectionParameters.from_dict(dict(connection))
    return config


def _ask_only_what_polls_record(dev: Device) -> None:
    """Make a kept legacy (IOT) device's update() ask for sysinfo and energy only.

    python-kasa's update() of an HS110 also asks for its schedules, usage statistics,
    anti-theft and countdown rules, cloud and time settings in the same request; a poll
    records none of them, and building those answers was most of each poll's cost in the
    device (the simulator: ~4x) and in python-kasa here. Connecting still reads everything
    once. A newer (SMART) device's update() is one multipleRequest of every module's calls
    (11 on a KP125M: time, auto-off, Matter, power protection, usage...); a poll keeps the
    device's own info, its children's list and the energy meter.
    """
    kasa = _kasa()
    if isinstance(dev, kasa.smart.SmartDevice):
        kept = {"DeviceModule", "ChildDevice", kasa.Module.Energy}
        for target in (dev, *dev.children):
            for name in [name for name in target._modules if name not in kept]:
                del target._modules[name]  # python-kasa has no public switch for this
        return
    if not isinstance(dev, kasa.iot.IotDevice):
        return
    unrecorded = {kasa.Module.IotSchedule, kasa.Module.IotUsage, kasa.Module.IotAntitheft,
                  kasa.Module.IotCountdown, kasa.Module.IotCloud, kasa.Module.Time}  # fmt: skip
    for target in (dev, *dev.children):
        for name in [name for name in target._modules if name in unrecorded]:
            del target._modules[name]  # python-kasa has no public switch for this


def _renew_sessions_at_once(dev: Device, slots: asyncio.Semaphore) -> None:
    """Make a kept KLAP/AES device's new handshakes fit its poll.

    A device that ended a session (expiry, reboot) refuses the next request and python-kasa
    shakes hands again, but only after a 1 s back-off, which a poll (deadline ~1 s) would
    not survive: the refusal is not trouble and the next poll is the retry, so kept devices
    retry at once (an instance setting; XOR devices keep it). And a fleet whose sessions
    all end together (a power cut) would shake hands all at once, starving each other past
    the deadline: the handshakes take turns in `slots` (the pool's connect slots), and the
    time queued for one does not count against the deadline.
    """
    if not _connection_of(dev):
        return
    dev.protocol.BACKOFF_SECONDS_AFTER_TIMEOUT = 0  # type: ignore[attr-defined]
    transport = dev.protocol._transport  # type: ignore[attr-defined]
    transport.perform_handshake = _throttle_handshakes(transport.perform_handshake, slots)


def _throttle_handshakes(handshake, slots: asyncio.Semaphore):
    async def throttled(*args, **kwargs):
        queued = asyncio.get_running_loop().time()
        async with slots:
            scope = _DEADLINE.get(None)
            if scope is not None and scope.when() is not None:
                scope.reschedule(scope.when() + asyncio.get_running_loop().time() - queued)
            return await handshake(*args, **kwargs)

    return throttled


async def _disconnect(dev: Device) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection may fail too
        await dev.disconnect()


async def _guarded(coro: Coroutine[Any, Any, T], host: str, port: int, timeout: float) -> T:
    """Run coro under a hard deadline and turn kasa's errors into ours.

    The deadline is visible to coro (_DEADLINE), which may push it back by time spent
    queued for a handshake slot (_throttle_handshakes)."""
    where = f"{host}:{port}"
    kasa = _kasa()
    try:
        async with asyncio.timeout(timeout) as scope:
            token = _DEADLINE.set(scope)
            try:
                return await coro
            finally:
                _DEADLINE.reset(token)
    except kasa.AuthenticationError as exc:
        raise DeviceAuthFailed(f"{where}: {exc}", host=host, port=port) from exc
    except kasa.UnsupportedDeviceError as exc:
        raise DeviceUnsupported(f"{where}: {exc}", host=host, port=port) from exc
    except TimeoutError as exc:  # builtin from wait_for, or kasa.TimeoutError
        message = f"{where}: no answer within {timeout:g} s"
        raise DeviceUnreachable(message, host=host, port=port) from exc
    except (kasa.KasaException, OSError) as exc:
        raise DeviceUnreachable(f"{where}: {exc}", host=host, port=port) from exc


async def _discover_target(
    target: str, timeout: float, poll_timeout: float, credentials: CloudCredentials | None
) -> dict[str, Device]:
    """The devices that answered at `target`. A discovery that runs past its deadline (many
    answers on a busy network) keeps those that answered until then."""
    answered: dict[str, Device] = {}

    async def collect(device: Device) -> None:
        answered[device.host] = device

    found = _kasa().Discover.discover(
        target=target,
        on_discovered=collect,
        discovery_timeout=timeout,  # type: ignore[arg-type]  # sleeps timeout/3 per packet
        timeout=poll_timeout,  # type: ignore[arg-type]  # per-attempt, for the later update
        credentials=_kasa_credentials(credentials),
    )
    try:
        return await _guarded(found, target, DEFAULT_PORT, timeout + poll_timeout)
    except DeviceUnreachable as exc:
        logger.warning(
            "Discovery ran past its deadline (%s): %d devices answered", exc, len(answered)
        )
        return answered


async def _read_found(host: str, dev: Device) -> PollResult:
    try:
        await dev.update()
        return _result(dev, host, dev.port)
    finally:
        await dev.disconnect()


def _kasa_credentials(credentials: CloudCredentials | None) -> Credentials | None:
    if credentials is None:
        return None
    return _kasa().Credentials(credentials.username, credentials.password)


async def _tcp_accepts(host: str, port: int) -> None:
    _, writer = await asyncio.open_connection(host, port)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


# -- conversion ---------------------------------------------------------------------------


def _result(dev: Device, host: str, port: int) -> PollResult:
    kind = _KINDS.get(dev.device_type.name)
    if kind is None:
        message = f"{host}:{port} is a {dev.device_type.value}, not a plug, strip or bulb"
        raise DeviceUnsupported(message, host=host, port=port)
    if dev.children:  # a KS240-like wall switch with child switches is kept as a strip is
        kind = "strip"
    return PollResult(
        host=host,
        port=port,
        mac=dev.mac,
        device_id=dev.device_id,
        alias=dev.alias or "",
        model=dev.model,
        device_type=kind,
        hw_version=str(dev.hw_info.get("hw_ver", "")),
        fw_version=str(dev.hw_info.get("sw_ver", "")),
        has_emeter=_kasa().Module.Energy in dev.modules,
        is_on=bool(dev.is_on),
        rssi=dev.rssi,
        children=tuple(_outlet_result(i, child) for i, child in enumerate(dev.children)),
        connection=_connection_of(dev),
        **_energy(dev),
    )


def _connection_of(dev: Device) -> dict[str, Any]:
    """The connection parameters to store for the next poll; {} for the legacy protocol
    (XOR over TCP 9999), which is what a DeviceConfig without them uses."""
    ctype = dev.config.connection_type
    if ctype.encryption_type is _kasa().DeviceEncryptionType.Xor and not ctype.https:
        return {}
    return ctype.to_dict()


def _outlet_result(index: int, child: Device) -> OutletResult:
    return OutletResult(
        device_id=child.device_id,
        child_id=_child_id(child),
        index=index,
        alias=child.alias or "",
        is_on=bool(child.is_on),
        **_energy(child),
    )


def _energy(dev: Device) -> dict[str, float | None]:
    energy = dev.modules.get(_kasa().Module.Energy)
    if energy is None:
        return {}
    feature = _kasa().interfaces.Energy.ModuleFeature
    has_vc = energy.supports(feature.VOLTAGE_CURRENT)
    return {
        "power_w": _float(energy.current_consumption),
        "voltage": _float(energy.voltage) if has_vc else None,
        "current": _float(energy.current) if has_vc else None,
        "energy_total_kwh": _float(energy.consumption_total)
        if energy.supports(feature.CONSUMPTION_TOTAL)
        else None,
        "today_kwh": _float(energy.consumption_today),
        "month_kwh": _float(energy.consumption_this_month),
    }


def _periodic_stats(dev: Device):
    """The device's energy module when it keeps daily/monthly statistics, else None."""
    energy = dev.modules.get(_kasa().Module.Energy)
    feature = _kasa().interfaces.Energy.ModuleFeature
    return energy if energy is not None and energy.supports(feature.PERIODIC_STATS) else None


def _outlet(dev: Device, child_id: str, host: str, port: int) -> Device:
    for child in dev.children:
        if child_id in (_child_id(child), child.device_id):
            return child
    raise OutletNotFound(f"{host}:{port} has no outlet {child_id}", host=host, port=port)


def _child_id(child: Device) -> str:
    return str(getattr(child, "child_id", None) or child.device_id)


def _float(value: Any) -> float | None:
    # kasa scales Wh by 1/1000, leaving float noise such as 0.9580000000000001.
    return None if value is None else round(float(value), 6)


def _host_key(host: str) -> tuple[int, int, str]:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return (99, 0, host)
    return (ip.version, int(ip), host)
