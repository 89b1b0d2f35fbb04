"""A Redis connection pool shared by every cache object of the process.

Under ASGI Django builds a new cache object (and so a new pool and TCP connection) for
each request's context; with this pool class (CACHES OPTIONS "pool_class") they all draw
from one pool per URL and options instead. redis-py's pool itself starts afresh in a
forked child.
"""

from __future__ import annotations

import threading

import redis


class SharedConnectionPool(redis.ConnectionPool):
    _pools: dict[tuple, redis.ConnectionPool] = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs):
        key = (url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with cls._lock:
            pool = cls._pools.get(key)
            if pool is None:
                pool = cls._pools[key] = super().from_url(url, **kwargs)
            return pool
