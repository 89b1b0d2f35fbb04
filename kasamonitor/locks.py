"""Locks shared by every process (the poll run, the pricing run), held in the cache (Redis).

A lock is taken with cache.add (atomic) and carries a time to live, so a holder that dies
frees it in the end. The end can be minutes away, and a worker killed in the middle of a
poll (the OOM killer, `kill -9`, a crash) would leave every device unpolled until then. So
a lock names its holder — machine, PID namespace and process id — and a process on the same
machine that finds it held by a process that no longer exists takes it over at once (only
that exact value is deleted, in one Redis call, so two processes cannot both take it).
A holder on another machine, or in another PID namespace, is never second-guessed: there
the time to live decides.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

logger = logging.getLogger("kasamonitor.locks")

_DELETE_IF_SAME = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:  # no /proc: never judge another process
        return ""


def holder_name() -> str:
    """This process as a lock holder: host|pid namespace|pid|a token for this hold."""
    return f"{socket.gethostname()}|{_pid_namespace()}|{os.getpid()}|{uuid.uuid4().hex}"


def holder_is_gone(value: object) -> bool:
    """True only when the holder was a process of this machine and PID namespace that has
    since ended."""
    parts = str(value).split("|")
    if len(parts) != 4 or parts[0] != socket.gethostname():
        return False
    namespace = _pid_namespace()
    if not namespace or parts[1] != namespace or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but not ours to signal
        return False
    return False


def _delete_if_same(key: str, value: str) -> bool:
    """Delete key only while it still holds value (one Redis call); True if deleted."""
    backend = getattr(cache, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):  # not Redis (a test's LocMem)
        if cache.get(key) == value:
            cache.delete(key)
            return True
        return False
    client = backend.get_client(write=True)
    stored = backend._serializer.dumps(value)
    return bool(client.eval(_DELETE_IF_SAME, 1, cache.make_and_validate_key(key), stored))


@contextmanager
def held(key: str, ttl: int, wait: float = 0.0) -> Iterator[bool]:
    """Hold the lock `key` (yield True), or yield False when another live process holds it
    for longer than `wait` seconds."""
    me = holder_name()
    deadline = time.monotonic() + wait
    while not (acquired := cache.add(key, me, timeout=ttl)):
        holder = cache.get(key)
        if holder is not None and holder_is_gone(holder) and _delete_if_same(key, holder):
            logger.warning(
                "lock %s was held by process %s, which has ended: taken over",
                key,
                str(holder).split("|")[2],
            )
            continue
        if time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    try:
        yield acquired
    finally:
        if acquired:
            _delete_if_same(key, me)
