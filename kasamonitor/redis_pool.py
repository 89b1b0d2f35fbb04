"""A Redis connection pool and client shared by every cache object of the process.

Under ASGI Django builds a new cache object (and so a new pool and TCP connection) for
each request's context; with this pool class (CACHES OPTIONS "pool_class") they all draw
from one pool per URL and options instead. redis-py's pool itself starts afresh in a
forked child. The cache backend below also keeps one redis.Redis client per pool.
"""

from __future__ import annotations

import threading
import weakref

import redis
from django.core.cache.backends import redis as django_redis


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


class _ClientPerPool(django_redis.RedisCacheClient):
    """Django's client builds a new redis.Redis for every cache call (copying its ~170
    response callbacks: a third of a small API request's CPU); redis.Redis is thread-safe
    over its pool, so one per pool serves every call."""

    _clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """Django's Redis cache with one client per connection pool (CACHES BACKEND)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ClientPerPool
