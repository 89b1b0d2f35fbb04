"""Every cache object of a process shares one Redis connection pool."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def test_cache_objects_built_per_request_share_one_redis_pool(settings):
    config = settings.CACHES["default"]
    # What Django does for each ASGI request's context: a fresh cache object.
    first = RedisCache(config["LOCATION"], {**config})
    second = RedisCache(config["LOCATION"], {**config})
    first.set("shared-pool-probe", 1)

    assert second.get("shared-pool-probe") == 1
    pool = first._cache.get_client(write=True).connection_pool
    assert second._cache.get_client(write=True).connection_pool is pool
    assert caches["default"]._cache.get_client(write=True).connection_pool is pool
