"""`make run`'s process manager: honcho's, but a process that dies is started again.

honcho stops every process when one ends. A self-hosted install should heal instead: a
worker that crashed (a library bug when Redis vanished under it, the OOM killer) is started
again after a short wait, and the others run on. Only a process that keeps dying — more
than MAX_RESTARTS times within RESTART_WINDOW seconds — stops everything, as before, with
its exit code, so a broken configuration still fails loudly at start.

Each process's output is read by a thread of the launcher, not by a forked copy of it as
in honcho (one Python process per Procfile line, each as large as the launcher): the
launcher is then the only Python process besides the ones the Procfile names.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import queue
import signal
import threading
import time

from honcho.manager import KILL_WAIT, SIGNALS, Manager

MAX_RESTARTS = 5
RESTART_WINDOW = 60.0  # seconds
RESTART_WAIT = (1.0, 30.0)  # first wait before a restart, then doubling up to this


class SupervisingManager(Manager):
    def __init__(self, printer=None):
        super().__init__(printer)
        self.events = queue.Queue()  # filled by this process's reader threads
        self._crashes: dict[str, list[float]] = {}
        self._restart_at: dict[str, float] = {}

    def loop(self):
        """Run every process until SIGINT/SIGTERM (or one crashes too often); see module doc."""

        def _terminate(signum, frame):
            self._system_print(f"{SIGNALS[signum]['name']} received\n")
            self.returncode = SIGNALS[signum]["rc"]
            self.terminate()

        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _terminate)
        self._start()
        exit_start = None
        while True:
            try:
                msg = self.events.get(timeout=0.1)
            except queue.Empty:
                msg = None
            if msg is not None:
                self._on_event(msg)
            if not self._terminating:
                self._restart_due()
            elif self._all_stopped():
                break
            if self._terminating and exit_start is None:
                exit_start = self._clock.now()
            if exit_start is not None and self._clock.now() - exit_start > datetime.timedelta(
                seconds=KILL_WAIT
            ):
                self.kill()

    def _on_event(self, msg) -> None:
        if msg.type == "line":
            self._printer.write(msg)
        elif msg.type == "start":
            self._processes[msg.name]["pid"] = msg.data["pid"]
            self._system_print(f"{msg.name} started (pid={msg.data['pid']})\n")
            if self._terminating:  # started again just as everything was told to stop
                self._system_print(f"sending SIGTERM to {msg.name} (pid {msg.data['pid']})\n")
                self._procmgr.terminate(msg.data["pid"])
        elif msg.type == "stop":
            code = msg.data["returncode"]
            self._processes[msg.name]["returncode"] = code
            self._system_print(f"{msg.name} stopped (rc={code})\n")
            if not self._terminating:
                self._crashed(msg.name, code)

    def _crashed(self, name: str, code) -> None:
        now = time.monotonic()
        recent = [t for t in self._crashes.get(name, []) if now - t < RESTART_WINDOW]
        recent.append(now)
        self._crashes[name] = recent
        if len(recent) > MAX_RESTARTS:
            self._system_print(
                f"{name} stopped {len(recent)} times within {RESTART_WINDOW:.0f} s: "
                "stopping everything\n"
            )
            if self.returncode is None:
                self.returncode = code
            self.terminate()
            return
        # The doubling is capped before it can overflow a float (a restart without a
        # forked copy of the launcher is fast: thousands a minute with MAX_RESTARTS raised).
        wait = min(RESTART_WAIT[0] * 2 ** min(len(recent) - 1, 32), RESTART_WAIT[1])
        self._system_print(f"{name} will be started again in {wait:.0f} s\n")
        self._restart_at[name] = now + wait

    def _restart_due(self) -> None:
        now = time.monotonic()
        for name, at in list(self._restart_at.items()):
            if at <= now:
                del self._restart_at[name]
                self._start_one(name)

    def _start(self):
        for name in self._processes:
            self._start_one(name)

    def _start_one(self, name: str) -> None:
        """Start the process and a thread that forwards its output and its end as events
        (signals stay with the main thread)."""
        entry = self._processes[name]
        entry.pop("returncode", None)
        entry.pop("pid", None)
        entry["process"] = threading.Thread(
            name=f"{name} (supervised)", target=_run_process, args=(entry["obj"], self.events),
            daemon=True,
        )  # fmt: skip
        entry["process"].start()

    def _all_stopped(self):
        # A process waiting for its restart is stopped too (terminating drops the restart).
        return all(p.get("returncode") is not None for p in self._processes.values())

    def terminate(self):
        self._restart_at.clear()
        super().terminate()

    def _killall(self, force=False):
        """honcho's, except that a process being started again has no pid yet (honcho's
        raised KeyError there, so a Ctrl-C during a restart signalled nobody): it is
        signalled when its start arrives (_on_event)."""
        signame = "SIGKILL" if force else "SIGTERM"
        for name, entry in self._processes.items():
            if "returncode" in entry or "pid" not in entry:
                continue
            self._system_print(f"sending {signame} to {name} (pid {entry['pid']})\n")
            if force:
                self._procmgr.kill(entry["pid"])
            else:
                self._procmgr.terminate(entry["pid"])


def _run_process(process, events: queue.Queue) -> None:
    """honcho's Process.run, except that the end is the process's own exit, not the end of
    its output: a child it started (the worker's job process: an export, a backup) inherits
    the output pipe, and when the process is killed (the OOM killer) that child would keep
    the pipe open, so honcho's reader never reported the end and nothing was started again.
    The process's group (each Procfile process leads its own session) is then ended too:
    its children must not run on without it."""
    child = process._child_ctor(process.cmd, env=process.env, cwd=process.cwd)
    process._child = child
    process._events = events
    process._send_message({"pid": child.pid}, type="start")

    def forward() -> None:
        for line in iter(child.stdout.readline, b""):
            if not process.quiet:
                process._send_message(line)
        child.stdout.close()

    reader = threading.Thread(name=f"output of {process.name}", target=forward, daemon=True)
    reader.start()
    child.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGTERM)  # what it left behind (nothing, normally)
    reader.join(timeout=2.0)  # its last lines
    process._send_message({"returncode": child.returncode}, type="stop")
