"""make run's process manager starts a process that died again, and gives up (stopping
everything, with its exit code) only when it keeps dying. Real processes, run by the real
manager; the waits are shortened."""

from __future__ import annotations

import io
import threading
import time

from honcho.manager import KILL_WAIT
from honcho.printer import Printer

from kasamonitor import supervisor


def _run(manager: supervisor.SupervisingManager, seconds: float) -> str:
    """Run the manager's loop, stopping it (as Ctrl-C would) after `seconds` if it is still
    running; return what it printed."""
    stopper = threading.Timer(seconds, manager.terminate)
    stopper.start()
    try:
        manager.loop()
    finally:
        stopper.cancel()
    return manager._printer.output.getvalue()


def _manager(monkeypatch) -> supervisor.SupervisingManager:
    monkeypatch.setattr(supervisor, "RESTART_WAIT", (0.05, 0.2))
    out = io.StringIO()
    manager = supervisor.SupervisingManager(Printer(out))
    manager._printer.output = out
    return manager


def test_a_process_that_dies_is_started_again_and_the_others_run_on(monkeypatch, tmp_path):
    manager = _manager(monkeypatch)
    starts = tmp_path / "starts"
    manager.add_process("flaky", f"echo started >> {starts}; sleep 0.3; exit 1")
    manager.add_process("steady", "sleep 30")
    started = time.monotonic()
    printed = _run(manager, 2.0)
    assert time.monotonic() - started >= 1.9  # it ran until stopped, not until "flaky" died
    assert starts.read_text().count("started") >= 3
    assert "flaky will be started again" in printed
    assert "steady stopped" in printed and "sending SIGTERM to steady" in printed


def test_a_process_that_keeps_dying_stops_everything_with_its_code(monkeypatch):
    manager = _manager(monkeypatch)
    manager.add_process("broken", "exit 3")
    manager.add_process("steady", "sleep 30")
    started = time.monotonic()
    printed = _run(manager, 20.0)
    assert time.monotonic() - started < 15  # gave up by itself
    assert f"broken stopped {supervisor.MAX_RESTARTS + 1} times" in printed
    assert manager.returncode == 3


def test_stopping_while_a_process_is_being_started_again_stops_every_process(monkeypatch):
    """Ctrl-C can land between a restart and the new process's start message (no pid yet):
    every process still gets SIGTERM, none is left for SIGKILL."""
    monkeypatch.setattr(supervisor, "MAX_RESTARTS", 10**6)
    for _ in range(3):
        manager = _manager(monkeypatch)
        monkeypatch.setattr(supervisor, "RESTART_WAIT", (0.0, 0.0))
        manager.add_process("flaky", "exit 1")  # first: it is signalled first
        manager.add_process("steady", "sleep 30")
        started = time.monotonic()
        printed = _run(manager, 1.5)
        assert "sending SIGTERM to steady" in printed
        assert "SIGKILL" not in printed
        assert time.monotonic() - started < 1.5 + KILL_WAIT


def test_a_process_whose_child_outlives_it_is_started_again_and_the_child_ended(
    monkeypatch, tmp_path
):
    """The worker's job process (an export, a backup) inherits its output; when the worker
    dies (the OOM killer) the job process lives on holding that pipe open. The worker must
    still be started again, and its orphan must not run on without it."""
    manager = _manager(monkeypatch)
    starts, orphans = tmp_path / "starts", tmp_path / "orphans"
    manager.add_process(
        "worker",
        f"echo started >> {starts}; "
        f"(sleep 30; echo still-running >> {orphans}) & echo $! >> {orphans}.pids; "
        "sleep 0.3; exit 137",
    )
    printed = _run(manager, 2.5)
    assert starts.read_text().count("started") >= 2, printed  # started again
    assert "worker will be started again" in printed
    time.sleep(0.2)
    for pid in (tmp_path / "orphans.pids").read_text().split():
        assert not _alive(int(pid)), f"the orphan {pid} still runs"


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose (its parent, the test runner's shell, reaps it)
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[-1][0] != "Z"
