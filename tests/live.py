"""Start real processes (Celery worker, beat, the web process) against the test database and Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """Return a DATABASE_URL for the database the tests are using right now."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = test_database_url()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update(extra)
    return env


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path):
    """Run a process in its own session; stop it (and its children) on exit."""
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
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


WORKER_NAME = f"live-{os.getpid()}@localhost"


def celery_worker_args() -> list[str]:
    """The live worker starts parked on a queue nothing is sent to: the test run's own queue
    holds what earlier tests queued (pricing, discovery, polls) and must not run beside the
    first test that uses the worker; worker_consumes() points it at the queue when a test asks."""
    from django.conf import settings

    parked = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-parked"
    return [
        sys.executable, "-m", "celery", "-A", "kasamonitor", "worker", "--loglevel=INFO",
        "--pool=threads", "--concurrency=2", "--without-mingle", "--without-gossip", "-n", WORKER_NAME,
        "-Q", parked,
    ]  # fmt: skip


def worker_consumes(on: bool) -> None:
    """Start or stop the live worker taking tasks from the test run's queue.

    The worker lives for the whole session, but only tests that ask for it may have their
    tasks run: anything else queued (pricing after a poll in a consumer test, say) would
    otherwise run in the background of unrelated tests, and on PostgreSQL deadlock with the
    TRUNCATE that flushes the database after them. Starting, it first drops what other tests
    left in the queue.
    """
    from django.conf import settings

    from kasamonitor.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    if on:
        app.control.purge()
        replies = app.control.add_consumer(queue, reply=True, timeout=10, destination=[WORKER_NAME])
    else:
        replies = app.control.cancel_consumer(
            queue, reply=True, timeout=10, destination=[WORKER_NAME]
        )
    if not replies:
        raise TimeoutError(f"the live worker did not answer {'add' if on else 'cancel'}_consumer")


WEB_ARGS = [sys.executable, "-m", "kasamonitor.serve"]  # the web process `make run` starts


def web_env(port: int, **extra: str) -> dict[str, str]:
    """process_env() for one web process (uvicorn) on 127.0.0.1:port."""
    return process_env(HOST="127.0.0.1", PORT=str(port), **{"WEB_WORKERS": "1", **extra})


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def worker_is_idle() -> bool:
    """True when the worker's queue is empty and none of its messages is unacknowledged.

    Tasks ack late, so a running task's message stays in kombu's `unacked` hash until it
    returns; whatever it queued (pricing after a poll, notifications) is in the queue by then.
    The hash is one per Redis database, shared with every other test run on that Redis
    (pytest-xdist's workers, another checkout's run): only this run's queue counts.
    """
    import json

    import redis
    from django.conf import settings
    from kombu.transport.redis import PRIORITY_STEPS

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        keys = [queue] + [f"{queue}\x06\x16{step}" for step in PRIORITY_STEPS if step]
        if any(client.llen(key) for key in keys):
            return False
        # Each entry is [message, exchange, routing key]; a task's routing key is its queue.
        return not any(json.loads(entry)[2] == queue for entry in client.hvals("unacked"))
    finally:
        client.close()


def wait_for_idle_worker(log: Path, timeout: float = 30.0) -> None:
    """Wait until the worker has finished everything a test set off (seen idle twice); when it
    does not, say what the worker was doing (the end of its log)."""
    try:
        wait_until(lambda: worker_is_idle() and (time.sleep(0.3) or worker_is_idle()),
                   timeout=timeout, what="the Celery worker to finish its queued tasks")  # fmt: skip
    except TimeoutError as exc:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
        raise TimeoutError(f"{exc}; the worker's log ends:\n{tail}") from None
