"""`make run`'s process set starts, becomes ready, and stops cleanly on Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

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


def test_run_starts_all_processes_and_stops_cleanly_on_sigint(tmp_path):
    port = live.free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(
        KASA_DATA_DIR=str(tmp_path / "data"),
        PORT=str(port),
        CELERY_QUEUE=f"kasa-smoke-{port}",
    )
    with open(tmp_path / "run.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kasamonitor.run"], cwd=BASE_DIR, env=env, stdout=log, stderr=log
        )
    try:
        live.wait_until(
            lambda: proc.poll() is not None or ready(f"http://127.0.0.1:{port}/health/ready"),
            timeout=60,
            what="/health/ready",
        )
        assert proc.poll() is None, (tmp_path / "run.log").read_text()
        children = descendants(proc.pid)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "kasamonitor.serve" in names and "worker" in names and "beat" in names
        assert (tmp_path / "data" / "secret_key").exists()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, (tmp_path / "run.log").read_text()
        time.sleep(0.5)
        orphans = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        assert orphans == [], [c.cmdline() for c in orphans]
    finally:
        if proc.poll() is None:
            proc.kill()
        for child in descendants(proc.pid):
            child.kill()
