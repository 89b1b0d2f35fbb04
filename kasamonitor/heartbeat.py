"""Worker and scheduler heartbeats in Redis, so /health/ready can tell they are alive."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time

import redis
from celery.signals import beat_init, worker_ready, worker_shutdown
from django.conf import settings

logger = logging.getLogger(__name__)
INTERVAL = 5
_stop = threading.Event()


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def _key(base: str) -> str:
    return f"{base}:{socket.gethostname()}-{os.getpid()}"


def _beat_forever(base: str) -> None:
    client = redis_client()
    while not _stop.is_set():
        try:
            client.set(
                _key(base), json.dumps({"at": time.time()}), ex=settings.WORKER_HEARTBEAT_TTL
            )
        except redis.RedisError as exc:  # Redis down: readiness will say so
            logger.warning("heartbeat failed", extra={"error": str(exc)})
        _stop.wait(INTERVAL)


def start(base: str) -> None:
    threading.Thread(target=_beat_forever, args=(base,), daemon=True, name="heartbeat").start()


def alive(base: str) -> list[dict]:
    """Return the live heartbeats for a process kind (worker or scheduler)."""
    client = redis_client()
    found = []
    for key in client.scan_iter(match=f"{base}:*", count=100):
        raw = client.get(key)
        if raw:
            found.append({"host": key.decode().rsplit(":", 1)[-1], **json.loads(raw)})
    return found


@worker_ready.connect
def _on_worker_ready(**_kwargs):
    start(settings.WORKER_HEARTBEAT_KEY)


@beat_init.connect
def _on_beat_init(**_kwargs):
    start(settings.SCHEDULER_HEARTBEAT_KEY)


@worker_shutdown.connect
def _on_worker_shutdown(**_kwargs):
    _stop.set()
    with contextlib.suppress(redis.RedisError):
        redis_client().delete(_key(settings.WORKER_HEARTBEAT_KEY))
