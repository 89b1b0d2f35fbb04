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
from contextlib import contextmanager, suppress
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def report(metric: str, value: float, unit: str, budget: float, *, lower_is_better=True) -> bool:
    """Print one human line and one machine line (RESULT {...}) for run_all.py."""
    ok = value <= budget if lower_is_better else value >= budget
    cmp = "<=" if lower_is_better else ">="
    print(
        f"{metric:<55} {value:>10.2f} {unit:<6} budget {cmp} {budget:g} {unit}  {'OK' if ok else 'OVER'}"
    )
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
    # One bench client sends thousands of API requests a minute from one IP: lift the
    # limits so every answer is a real 200 (the limiter's Redis round trips still count).
    env.setdefault("API_RATE_LIMIT_PER_IP", "10000000/m")
    env.setdefault("API_RATE_LIMIT_PER_USER", "10000000/h")
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
            args,
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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


# -- own databases, tokens and requests (issue 12 benches) ----------------------------------


@contextmanager
def bench_database(name: str):
    """Give the bench its own database: a fresh SQLite file, or kasa_bench_<name> on PostgreSQL.

    With DATABASE_URL pointing at PostgreSQL the database is created (dropped first if a
    crashed run left it) through the server's `postgres` database and dropped afterwards;
    DATABASE_URL is changed in os.environ so Django and child processes use it.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield "sqlite"
        return
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    db = f"kasa_bench_{name}"

    def execute(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    execute(f'CREATE DATABASE "{db}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{db}"))
    try:
        yield "postgresql"
    finally:
        os.environ["DATABASE_URL"] = url
        from django.conf import settings

        if settings.configured:  # benches that only start processes never set Django up
            from django.db import connections

            connections.close_all()
        execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def admin_token() -> str:
    """Create an admin and return a real access token (accounts' login-session service)."""
    from accounts.models import User
    from accounts.sessions import session_start

    user = User.objects.create_user(
        "bench", "bench@example.com", "bench-password-1234", role="admin"
    )
    return session_start(user, ip="127.0.0.1", user_agent="bench").access


class Client:
    """One keep-alive HTTP connection; get() returns (seconds, status, body bytes)."""

    def __init__(self, port: int, token: str = ""):
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        return time.perf_counter() - started, response.status, body

    def close(self) -> None:
        self.conn.close()


def rss_mib(pid: int, *, tree: bool = False) -> float:
    """Resident memory of a process (and its children with tree=True) in MiB."""
    import psutil

    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)] if tree else [proc]
    total = 0
    for p in procs:
        with suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 2**20


def vendor_label() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


@contextmanager
def web_server(data_dir: Path, **extra: str):
    """Run one web process (kasamonitor.serve) on this data dir; yield (port, Popen)."""
    port = free_port()
    env = bench_env(data_dir, **{"PORT": str(port), "WEB_WORKERS": "1", **extra})
    with process([sys.executable, "-m", "kasamonitor.serve"], env, data_dir / "web.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/health")
        yield port, proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: a figure other load on the cores can't inflate."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system
