"""`make run`'s process set starts, becomes ready, and stops cleanly on Ctrl-C (SIGINT);
a restart skips migrate and collectstatic when nothing changed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from websockets.sync.client import connect

from tests import live

pytestmark = pytest.mark.integration
BASE_DIR = Path(__file__).resolve().parents[2]


def ready(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=1).status == 200
    except OSError:
        return False


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _start(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "kasamonitor.run"], cwd=BASE_DIR, env=env, stdout=log, stderr=log
        )


def _prepared(log_path: Path) -> list[dict]:
    """What the web process's preparation ran, from its log lines."""
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        if '"logger": "kasamonitor.prepare"' in line:
            found.append(json.loads(line.split("| ", 1)[1])["ran"])
    return found


def test_run_starts_all_processes_and_stops_cleanly_on_sigint(tmp_path):
    """Two processes besides the launcher and its Redis: web, and the worker with the
    scheduler in a thread. The first start makes the new SQLite database from the schema
    file (no migrate) and finds the static files the install step collected; a restart
    with nothing changed does nothing, and serves as before."""
    port = live.free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(
        KASA_DATA_DIR=str(tmp_path / "data"),
        PORT=str(port),
        CELERY_QUEUE=f"kasa-smoke-{port}",
        LOG_LEVEL="INFO",  # the preparation says what it ran at INFO
    )
    # The Makefile's install step, on its own data directory: the static files are the
    # installation's, found by every data directory (a no-op when collected already).
    subprocess.run(
        [sys.executable, "-m", "kasamonitor.prepare", "static"],
        cwd=BASE_DIR, env={**env, "KASA_DATA_DIR": str(tmp_path / "install")}, check=True,
    )  # fmt: skip
    for run, expected in (("first", ["schema"]), ("restart", "nothing")):
        log_path = tmp_path / f"{run}.log"
        proc = _start(env, log_path)
        try:
            live.wait_until(
                lambda p=proc: (
                    p.poll() is not None or ready(f"http://127.0.0.1:{port}/health/ready")
                ),
                timeout=60,
                what="/health/ready",
            )
            assert proc.poll() is None, log_path.read_text()
            assert _prepared(log_path)[0] == expected, log_path.read_text()
            children = descendants(proc.pid)
            lines = [" ".join(c.cmdline()) for c in children]
            assert sum("kasamonitor.serve" in line for line in lines) == 1, lines
            (worker,) = [line for line in lines if "kasamonitor.worker" in line]  # + scheduler
            assert not any(" beat" in line for line in lines), lines  # no third process
            assert (tmp_path / "data" / "secret_key").exists()

            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0, log_path.read_text()
            time.sleep(0.5)
            orphans = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
            assert orphans == [], [c.cmdline() for c in orphans]
        finally:
            leftovers = descendants(proc.pid)  # found before the launcher is gone
            if proc.poll() is None:
                proc.kill()
            for child in leftovers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()


def _api(url: str, method: str = "GET", token: str = "", body: dict | None = None):
    request = urllib.request.Request(url, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except OSError:
        return 0, None


def test_killed_processes_are_restarted_and_nothing_is_lost(tmp_path):
    """Kill make run's embedded Redis (a crash, the OOM killer): within 10 s the API answers
    again, never a 500 on the way, and the next poll stores its reading (issue 17 item 10);
    kill the worker: it is started again and polling goes on."""
    from tests.simulator import Simulator, device_spec, free_loopback_block

    port = live.free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    env.update(
        KASA_DATA_DIR=str(tmp_path / "data"), PORT=str(port), CELERY_QUEUE=f"kasa-redis-{port}"
    )
    (address,) = free_loopback_block(1)
    with (
        Simulator([device_spec("hs110", address)]) as sim,
        open(tmp_path / "run.log", "wb") as log,
        contextlib.ExitStack() as sockets,
    ):
        sim.emeter(address, power=40.0, voltage=230.0, current=0.2, total=1.0)
        proc = subprocess.Popen([sys.executable, "-m", "kasamonitor.run"], cwd=BASE_DIR, env=env,
                                stdout=log, stderr=log)  # fmt: skip
        try:
            live.wait_until(
                lambda: proc.poll() is not None or ready(f"{url}/health/ready"),
                timeout=60,
                what="/health/ready",
            )
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            status, answer = _api(f"{url}/api/auth/setup", "POST", body={
                "username": "root", "email": "root@example.com", "password": "Str0ng!Passw0rd",
            })  # fmt: skip
            assert status == 201, answer
            status, answer = _api(f"{url}/api/auth/login", "POST", body={
                "username": "root", "password": "Str0ng!Passw0rd",
            })  # fmt: skip
            assert status == 200, answer
            token = answer["access_token"]
            assert _api(f"{url}/api/system/config", "PUT", token, {"polling_interval": 5})[0] == 200
            status, device = _api(f"{url}/api/devices/manual", "POST", token, {"ip": address})
            assert status == 201, device

            def last_reading():
                path = f"{url}/api/devices/{device['id']}/history?interval=raw"
                status, points = _api(path, token=token)
                return points[-1]["timestamp"] if status == 200 and points else None

            first = live.wait_until(last_reading, timeout=30, what="a first poll")

            # A dashboard's live socket, open across the outage.
            ws = sockets.enter_context(
                connect(f"ws://127.0.0.1:{port}/ws/devices/?token={token}", origin=url)
            )
            ws.send('{"event": "subscribe_all"}')

            (redis_server,) = [c for c in descendants(proc.pid) if "redis-server" in c.name()]
            redis_server.kill()
            killed = time.monotonic()
            statuses = set()

            def answers():
                status, _ = _api(f"{url}/api/devices", token=token)
                statuses.add(status)
                return status == 200

            live.wait_until(answers, timeout=10, interval=0.2, what="the API after Redis died")
            assert 500 not in statuses, statuses
            assert time.monotonic() - killed < 10
            live.wait_until(lambda: (last_reading() or "") > first, timeout=30,
                            what="a poll stored after the restart")  # fmt: skip
            assert proc.poll() is None
            assert "embedded Redis restarted" in (tmp_path / "run.log").read_text()

            # The socket lived through it and gets the polls after the restart.
            restarted = _api(f"{url}/api/devices/{device['id']}/history?interval=raw", token=token)
            after = restarted[1][-1]["timestamp"]
            deadline = time.monotonic() + 20
            while True:
                event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
                if event["event"] == "device_update" and event["data"]["timestamp"] >= after:
                    break
            ws.close()

            # A worker that dies (here: killed) is started again, and polling goes on.
            (worker,) = [c for c in descendants(proc.pid)
                         if "kasamonitor.worker" in " ".join(c.cmdline())]  # fmt: skip
            worker.kill()
            before = last_reading()
            live.wait_until(lambda: (last_reading() or "") > before, timeout=45,
                            what="a poll stored by the restarted worker")  # fmt: skip
            assert "worker will be started again" in (tmp_path / "run.log").read_text()
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            for child in descendants(proc.pid):
                child.kill()
            # Shown with a failure (pytest prints a failing test's output).
            print((tmp_path / "run.log").read_text(errors="replace")[-4000:])
