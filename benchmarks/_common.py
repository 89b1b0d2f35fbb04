"""Shared helpers for the benchmark scripts: result lines, servers, percentiles."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def report(metric: str, value: float, unit: str, budget: float, *, lower_is_better=True) -> bool:
    """Print one human line and one machine line (RESULT {...}) for run_all.py."""
    ok = value <= budget if lower_is_better else value >= budget
    cmp = "<=" if lower_is_better else ">="
    print(f"{metric:<55} {value:>10.2f} {unit:<6} budget {cmp} {budget:g} {unit}  {'OK' if ok else 'OVER'}")
    line = {"metric": metric, "value": round(value, 3), "unit": unit, "budget": budget, "ok": ok}
    print("RESULT " + json.dumps(line), flush=True)
    return ok


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
    env["KASA_DATA_DIR"] = str(data_dir)
    env["LOG_LEVEL"] = "WARNING"
    env["KASA_DISCOVERY_TARGET"] = "127.255.255.255"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update(extra)
    return env


def setup_django(data_dir: Path | None = None, **extra: str) -> Path:
    """Configure Django in this process on a fresh data dir (SQLite unless DATABASE_URL)."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="kasa-bench-"))
    os.environ.update(bench_env(data_dir, **extra))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
    import django

    django.setup()
    return data_dir


def wait_http(url: str, timeout: float = 60.0, status: int = 200) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if urllib.request.urlopen(url, timeout=1).status == status:
                return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(url)


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path):
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
