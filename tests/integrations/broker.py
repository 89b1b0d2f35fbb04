"""A Mosquitto broker of the test's own (Debian's /usr/sbin/mosquitto) on a free loopback
port, with persistence so a restart keeps retained messages and persistent sessions."""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.live import free_port

MOSQUITTO = "/usr/sbin/mosquitto"


class Broker:
    def __init__(self, folder: Path) -> None:
        assert Path(MOSQUITTO).exists(), "install Debian's mosquitto: apt-get install mosquitto"
        self.port = free_port()
        self.folder = folder
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            # As root mosquitto would switch to its own user, who cannot write the test's
            # (owner-only) folder; as another user this line is ignored.
            f"user {getpass.getuser()}\n"
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {folder}/\n"
            f"log_dest file {folder}/mosquitto.log\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.folder / "mosquitto.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)  # saves its persistence file on the way out
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
