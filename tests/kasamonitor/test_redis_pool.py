"""Every cache object of a process shares one Redis connection pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.core.cache import caches

from kasamonitor.redis_pool import RedisCache


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


def test_every_cache_call_of_the_process_uses_one_redis_client(settings):
    config = settings.CACHES["default"]
    first = RedisCache(config["LOCATION"], {**config})
    second = RedisCache(config["LOCATION"], {**config})

    def write_and_read(n: int) -> int:
        first.set(f"one-client-probe-{n}", n)
        return second.get(f"one-client-probe-{n}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(write_and_read, range(20))) == list(range(20))
    client = first._cache.get_client(write=True)
    assert second._cache.get_client() is client
