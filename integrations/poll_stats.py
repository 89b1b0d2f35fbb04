"""The worker's poll figures, kept in Redis so the web process's /metrics can show them.

Every worker (on any host) adds each cycle into one hash, so the counters and the histogram
are the fleet's totals whichever web process answers the scrape; a worker restart resets
nothing. One pipelined round trip per cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from django.conf import settings

from kasamonitor.heartbeat import redis_client

logger = logging.getLogger(__name__)

# Seconds; a cycle is bounded by KASA_POLL_DEADLINE (1.2 s) plus the writes.
BUCKETS = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)


def key() -> str:
    return f"kasa:{settings.CELERY_TASK_DEFAULT_QUEUE}:metrics:poll"


@dataclass(frozen=True)
class PollStats:
    cycles: int
    seconds_sum: float
    buckets: list[tuple[float, int]]  # (le, cumulative count), without +Inf
    polled_total: int
    failed_total: int
    readings_total: int
    last_polled: int
    last_failed: int
    last_seconds: float
    mqtt_dropped_total: int
    mqtt_queued: int


def record(
    *,
    seconds: float,
    polled: int,
    failed: int,
    readings: int,
) -> None:
    """Add one poll cycle's figures (a Redis failure is logged: metrics are best effort)."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        name = key()
        pipe.hincrby(name, "cycles", 1)
        pipe.hincrbyfloat(name, "seconds_sum", seconds)
        for le in BUCKETS:
            if seconds <= le:
                pipe.hincrby(name, f"le:{le}", 1)
        pipe.hincrby(name, "polled_total", polled)
        pipe.hincrby(name, "failed_total", failed)
        pipe.hincrby(name, "readings_total", readings)
        last = {"last_polled": polled, "last_failed": failed, "last_seconds": seconds}
        pipe.hset(name, mapping=last)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("Could not record the poll's metrics: %s", exc)


def record_mqtt(*, dropped: int, queued: int) -> None:
    """Add the MQTT messages dropped since the last call; set the backlog."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.hincrby(key(), "mqtt_dropped_total", dropped)
        pipe.hset(key(), "mqtt_queued", queued)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("Could not record the MQTT metrics: %s", exc)


def read(client: redis.Redis | None = None) -> PollStats:
    """Return the figures so far (zeros before the first cycle)."""
    raw = {k.decode(): v.decode() for k, v in (client or redis_client()).hgetall(key()).items()}

    def num(name: str, kind=int):
        return kind(raw.get(name, 0))

    return PollStats(
        cycles=num("cycles"),
        seconds_sum=num("seconds_sum", float),
        buckets=[(le, num(f"le:{le}")) for le in BUCKETS],
        polled_total=num("polled_total"),
        failed_total=num("failed_total"),
        readings_total=num("readings_total"),
        last_polled=num("last_polled"),
        last_failed=num("last_failed"),
        last_seconds=num("last_seconds", float),
        mqtt_dropped_total=num("mqtt_dropped_total"),
        mqtt_queued=num("mqtt_queued"),
    )
