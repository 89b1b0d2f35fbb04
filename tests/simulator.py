"""Drive tests/kasa_sim/launcher.js: simulated Kasa devices on loopback for tests.

Standard library only, so any test (Django or not) can use it. The simulator fails loudly
instead of skipping when node or its packages are missing: run
``npm ci --prefix tests/kasa_sim``.
"""

from __future__ import annotations

import contextlib
import json
import queue
import random
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

SIM_DIR = Path(__file__).resolve().parent / "kasa_sim"
LAUNCHER = SIM_DIR / "launcher.js"
INSTALL_HINT = "run `npm ci --prefix tests/kasa_sim` (needs Node.js >= 16)"
BROADCAST_TARGET = "127.255.255.255"
KASA_PORT = 9999
READY_TIMEOUT = 15.0


class SimulatorError(RuntimeError):
    """The simulator could not be started or refused a control request."""


def free_loopback_block(count: int, port: int = KASA_PORT, attempts: int = 50) -> list[str]:
    """Return `count` addresses 127.X.Y.1.. whose TCP and UDP `port` are free.

    X.Y is random, so concurrent test runs almost never pick the same block, and every
    address is checked by binding, so a block held by another run is skipped.
    """
    if not 1 <= count <= 254 * 16:
        raise ValueError("count must be between 1 and 4064")
    for _ in range(attempts):
        x, y = random.randint(20, 250), random.randint(0, 255 - count // 254)
        block = [f"127.{x}.{y + i // 254}.{i % 254 + 1}" for i in range(count)]
        if all(_port_free(address, port) for address in block):
            return block
    raise SimulatorError(f"no free loopback block of {count} addresses for port {port}")


def _port_free(address: str, port: int) -> bool:
    # TCP with SO_REUSEADDR like Node's listeners (TIME_WAIT is fine, a listener is not);
    # UDP without it, because the simulator's own UDP sockets set it.
    for kind, reuse in ((socket.SOCK_STREAM, True), (socket.SOCK_DGRAM, False)):
        with socket.socket(socket.AF_INET, kind) as sock:
            if reuse:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, port))
            except OSError:
                return False
    return True


def device_spec(model: str, address: str, **extra: Any) -> dict[str, Any]:
    """Build one launcher device entry (alias, mac, deviceId, children, watts, port)."""
    return {"model": model, "address": address, "port": KASA_PORT, **extra}


class Simulator:
    """Run the Node launcher for the given devices; use as a context manager.

    >>> with Simulator([device_spec("hs110", "127.0.0.2")]) as sim:
    ...     sim.emeter("127.0.0.2", power=42.0)
    """

    def __init__(
        self,
        devices: list[dict[str, Any]],
        *,
        broadcast: bool = False,
        tick_ms: int = 1000,
        time_scale: float = 1.0,
        node: str = "node",
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.spec = {
            "devices": devices,
            "broadcast": broadcast,
            "tickMs": tick_ms,
            "timeScale": time_scale,
        }
        self.node = node
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[str] | None = None
        self.control_url = ""
        self.broadcast: dict[str, Any] | None = None
        self.devices: list[dict[str, Any]] = []
        self._stderr: list[str] = []

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the launcher and wait until it prints READY."""
        node = self._check_install()
        self.process = subprocess.Popen(
            [node, str(LAUNCHER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=SIM_DIR,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        self._pump(self.process.stdout, lines.put)
        self._pump(self.process.stderr, self._stderr.append)
        # The launcher exits when this pipe closes, so it never outlives the test process.
        with contextlib.suppress(BrokenPipeError):  # a launcher that died is reported below
            self.process.stdin.write(json.dumps(self.spec) + "\n")
            self.process.stdin.flush()
        ready = self._wait_ready(lines)
        self.control_url = ready["control"]
        self.broadcast = ready["broadcast"]
        self.devices = ready["devices"]

    def stop(self) -> None:
        """Stop the launcher by its own PID and wait for it to exit."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.stdin.close()
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _check_install(self) -> str:
        node = shutil.which(self.node)
        if node is None:
            raise SimulatorError(f"Node.js executable {self.node!r} not found; {INSTALL_HINT}")
        if not (SIM_DIR / "node_modules" / "tplink-smarthome-simulator").is_dir():
            raise SimulatorError(f"{SIM_DIR / 'node_modules'} is missing; {INSTALL_HINT}")
        return node

    @staticmethod
    def _pump(stream: Any, sink: Any) -> None:
        def run() -> None:
            for line in stream:
                sink(line)
            sink(None)

        threading.Thread(target=run, daemon=True).start()

    def _wait_ready(self, lines: queue.Queue[str | None]) -> dict[str, Any]:
        deadline = time.monotonic() + self.ready_timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith("READY "):
                return json.loads(line[len("READY ") :])
        exit_code = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            # stdout closed or time is up: give an exiting launcher a moment to finish.
            exit_code = self.process.wait(timeout=1) if self.process else None
        self.stop()
        time.sleep(0.05)  # let the stderr reader drain
        stderr = self.stderr().strip() or "(no stderr)"
        if exit_code is None:
            problem = f"did not print READY within {self.ready_timeout:g} s"
        else:
            problem = f"exited with code {exit_code} before READY"
        hint = f"; {INSTALL_HINT}" if "Cannot find module" in stderr else ""
        raise SimulatorError(f"kasa simulator {problem}{hint}. stderr:\n{stderr}")

    # -- lookups -------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def hosts(self) -> list[str]:
        return [d["address"] for d in self.devices]

    def device(self, address: str) -> dict[str, Any]:
        """Return the READY entry (address, port, mac, model, alias, children) for address."""
        for entry in self.devices:
            if entry["address"] == address:
                return entry
        raise KeyError(address)

    def stderr(self) -> str:
        return "".join(s for s in self._stderr if s)

    # -- control channel -----------------------------------------------------------------

    def relay(self, address: str, on: bool, child: str | int | None = None) -> dict[str, Any]:
        """Switch a relay from the device side (child: outlet id, last 2 chars or index)."""
        return self._post("/relay", address=address, on=on, child=child)

    def emeter(
        self,
        address: str,
        *,
        child: str | int | None = None,
        power: float | None = None,
        voltage: float | None = None,
        current: float | None = None,
        total: float | None = None,
        today: float | None = None,
    ) -> dict[str, Any]:
        """Pin realtime readings (W, V, A, kWh) and optionally today's kWh."""
        values = dict(power=power, voltage=voltage, current=current, total=total, today=today)
        return self._post("/emeter", address=address, child=child, **values)

    def dynamic(
        self,
        address: str | None = None,
        *,
        on: bool = True,
        child: str | int | None = None,
        watts: float | None = None,
        noise: float | None = None,
        tick_ms: int | None = None,
        time_scale: float | None = None,
    ) -> dict[str, Any]:
        """Let power follow the relay and energy accumulate each tick (see launcher.js)."""
        return self._post(
            "/dynamic",
            address=address,
            on=on,
            child=child,
            watts=watts,
            noise=noise,
            tickMs=tick_ms,
            timeScale=time_scale,
        )

    def daystat(
        self,
        address: str,
        year: int,
        month: int,
        days: dict[int, float],
        child: str | int | None = None,
    ) -> dict[str, Any]:
        """Set the device's daily statistics (kWh per day of month)."""
        payload = {str(day): kwh for day, kwh in days.items()}
        return self._post(
            "/daystat", address=address, child=child, year=year, month=month, days=payload
        )

    def delay(self, address: str, ms: int) -> dict[str, Any]:
        """Delay every reply of the device by ms milliseconds."""
        return self._post("/delay", address=address, ms=ms)

    def unreliable(self, address: str, percent: float) -> dict[str, Any]:
        """Replace that share of the device's replies with garbage."""
        return self._post("/unreliable", address=address, percent=percent)

    def offline(self, address: str) -> dict[str, Any]:
        """Drop the device's connections and stop listening (connection refused)."""
        return self._post("/offline", address=address)

    def online(self, address: str) -> dict[str, Any]:
        """Listen again after offline()."""
        return self._post("/online", address=address)

    def state(self, address: str | None = None) -> dict[str, Any]:
        """Return what the device holds: relay per outlet, emeter values, settings."""
        query = "?" + urllib.parse.urlencode({"address": address}) if address else ""
        return self._request("GET", "/state" + query)

    def _post(self, path: str, **body: Any) -> dict[str, Any]:
        payload = {k: v for k, v in body.items() if v is not None}
        return self._request("POST", path, json.dumps(payload).encode())

    def _request(self, method: str, path: str, data: bytes | None = None) -> dict[str, Any]:
        if not self.control_url:
            raise SimulatorError("simulator is not running")
        request = urllib.request.Request(
            self.control_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with _no_proxy_opener().open(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SimulatorError(f"{method} {path} failed: {exc.code} {detail}") from exc


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    # An HTTP(S)_PROXY in the environment must not capture 127.0.0.1 control requests.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


__all__ = [
    "BROADCAST_TARGET",
    "KASA_PORT",
    "Simulator",
    "SimulatorError",
    "device_spec",
    "free_loopback_block",
]
