"""SmartEmulator: emulated devices in a background thread with its own event loop.

    with SmartEmulator([DeviceSpec("KP125M(US)_1.0_1.2.3", alias="Kettle")]) as emu:
        host = emu.hosts[0]
        emu.set_power(host, 60.0)            # watts drawn while the relay is on
        user, password = emu.account(host)
        dev = await Discover.discover_single(host, username=user, password=password)

Every control call runs on the emulator's loop and returns when it has taken effect.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import threading
from collections.abc import Iterable
from typing import Any

from tests.simulator import free_loopback_block

from .energy import Clock, Outlet
from .fixtures import load_fixture
from .server import DISCOVERY_PORT, BroadcastListener, DeviceServer, DeviceSpec

START_TIMEOUT = 30.0


class EmulatorError(RuntimeError):
    """The emulator could not start, or a control call failed."""


class SmartEmulator:
    """Start devices from recordings on free loopback addresses; stop them on exit."""

    def __init__(
        self,
        devices: Iterable[DeviceSpec | str],
        *,
        broadcast: bool = False,
        time_scale: float = 1.0,
    ) -> None:
        self.specs = [DeviceSpec(d) if isinstance(d, str) else copy.copy(d) for d in devices]
        self.broadcast = broadcast
        self.clock = Clock(time_scale)
        self.devices: dict[str, DeviceServer] = {}
        self._listener: BroadcastListener | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> SmartEmulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        missing = [s for s in self.specs if not s.host]
        for spec, host in zip(
            missing,
            free_loopback_block(len(missing), port=DISCOVERY_PORT) if missing else [],
            strict=True,
        ):
            spec.host = host
        fixtures = {s.host: load_fixture(s.fixture, s.kind) for s in self.specs}
        self._loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(fixtures, ready), name="smart-emulator", daemon=True
        )
        self._thread.start()
        try:
            ready.result(timeout=START_TIMEOUT)
        except Exception as exc:
            self.stop()
            raise EmulatorError(f"smart emulator did not start: {exc}") from exc

    def _run(self, fixtures: dict[str, dict], ready: concurrent.futures.Future) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_all(fixtures))
        except BaseException as exc:  # reported to start(), which stops the loop
            ready.set_exception(exc)
        else:
            ready.set_result(None)
        loop.run_forever()
        loop.run_until_complete(self._stop_all())
        loop.close()

    async def _start_all(self, fixtures: dict[str, dict]) -> None:
        for spec in self.specs:
            device = DeviceServer(spec, self.clock, fixtures[spec.host])
            await device.start()
            self.devices[spec.host] = device
        if self.broadcast:
            self._listener = BroadcastListener(self.devices)
            await self._listener.start()

    async def _stop_all(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for device in self.devices.values():
            await device.go_offline()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = None

    # -- running code on the emulator's loop ---------------------------------------------

    def _call(self, fn: Any, *args: Any) -> Any:
        """Run fn(*args) (a function or coroutine function) on the loop and wait."""
        if self._loop is None:
            raise EmulatorError("the emulator is not running")

        async def run() -> Any:
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def device(self, host: str) -> DeviceServer:
        try:
            return self.devices[host]
        except KeyError:
            raise EmulatorError(f"no emulated device at {host}") from None

    def _outlets(self, host: str, child: str | int | None) -> list[Outlet]:
        state = self.device(host).state
        assert state is not None
        if child is not None:
            outlet = state.child(child).outlet
        elif state.outlet is not None or not state.children:
            outlet = state.outlet
        else:
            return state.meters()
        if outlet is None:
            raise EmulatorError(f"{host} child {child!r} has no relay")
        return [outlet]

    # -- lookups -------------------------------------------------------------------------

    @property
    def hosts(self) -> list[str]:
        return [s.host for s in self.specs]

    def info(self, host: str) -> dict[str, Any]:
        """Identity, transport, credentials and counters (handshakes, logins, requests...)."""
        return self._call(self.device(host).summary)

    def handshakes(self, host: str) -> int:
        return self.info(host)["handshakes"]

    def account(self, host: str) -> tuple[str, str]:
        """The device owner's (username, password) it accepts now."""
        info = self.info(host)
        return info["username"], info["password"]

    def port(self, host: str) -> int:
        return self.device(host).http_port

    def reading(self, host: str, child: str | int | None = None) -> dict[str, float]:
        """What the meter holds now (W, V, A, today/month Wh and seconds), summed."""

        def read() -> dict[str, float]:
            total: dict[str, float] = {}
            for outlet in self._outlets(host, child):
                for key, value in outlet.reading().items():
                    total[key] = total.get(key, 0.0) + value
            return total

        return self._call(read)

    def is_on(self, host: str, child: str | int | None = None) -> bool:
        return self._call(lambda: all(o.on for o in self._outlets(host, child)))

    # -- control -------------------------------------------------------------------------

    def set_power(self, host: str, watts: float, child: str | int | None = None) -> None:
        """Watts the outlet draws while its relay is on (every socket when child is None)."""
        self._call(lambda: [o.set_load(watts) for o in self._outlets(host, child)])

    def relay(self, host: str, on: bool, child: str | int | None = None) -> None:
        """Switch from the device side (a button press)."""
        self._call(lambda: [o.set_on(on) for o in self._outlets(host, child)])

    def set_energy(
        self,
        host: str,
        *,
        today_wh: float | None = None,
        month_wh: float | None = None,
        child: str | int | None = None,
    ) -> None:
        """Set the today/month counters (Wh)."""
        outlets = self._outlets
        self._call(lambda: [o.set_counters(today_wh, month_wh) for o in outlets(host, child)])

    def advance(self, seconds: float) -> None:
        """Move every device's clock forward; energy accumulates over the jump."""
        self._call(self.clock.advance, seconds)

    def set_time_scale(self, scale: float) -> None:
        self._call(self.clock.set_scale, scale)

    def now(self) -> float:
        """The devices' clock (epoch seconds)."""
        return self._call(self.clock.now)

    def offline(self, host: str) -> None:
        """Stop answering discovery and HTTP (connections refused)."""
        self._call(self.device(host).go_offline)

    def online(self, host: str) -> None:
        self._call(self.device(host).go_online)

    def restart(self, host: str) -> None:
        """Reboot: every session is invalidated, relays and counters are kept."""
        self._call(self.device(host).restart)

    def set_credentials(self, host: str, username: str, password: str) -> None:
        """The owner's account changed; every session is invalidated."""
        self._call(self.device(host).set_credentials, username, password)

    def set_https(self, host: str, on: bool = True) -> None:
        """A firmware update: the (KLAP) device reboots serving HTTPS on 4433 (or plain HTTP
        again), and its discovery answer says so; identity, relays and counters are kept."""
        self._call(self.device(host).set_https, on)

    def expire_sessions(self, host: str) -> None:
        """The device forgets its sessions (as when their TIMEOUT passes)."""
        self._call(self.device(host).expire_sessions)
