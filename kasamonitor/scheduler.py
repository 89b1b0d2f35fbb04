"""The scheduler (django-celery-beat's database scheduler) as a thread of the worker, and
one scheduler per install however many run.

`celery worker --with-scheduler` (the Procfile's worker; the option and the worker step are
in kasamonitor/celery.py) runs beat in a thread of the worker process, instead of a third Django process (`celery beat`, about 125 MiB) or celery's own
`-B`, which forks the worker (a second copy of it). The periodic tasks are sent exactly as a
`celery beat` process sends them: same scheduler, same rows, same queue.

Several workers may each run one (`honcho start -c worker=4`, systemd units), and a
standalone `celery beat` still works: every scheduler runs SingleDatabaseScheduler, which
sends tasks only while it holds the install's scheduler lock in Redis (a key per queue, a
30-s time to live renewed at each tick, every second in a worker's thread). The others stand by and one
of them takes over when the holder stops renewing (stopped, killed: at once when it was a
process of this machine that has ended, as kasamonitor/locks.py does; else after the time
to live). A scheduler that takes over reads the schedule from the database again, so it
starts from the last runs its predecessor saved.
"""

from __future__ import annotations

import contextlib
import logging

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

from . import locks

logger = logging.getLogger("kasamonitor.scheduler")

LOCK_TTL = 30  # seconds; renewed at every tick (DatabaseScheduler ticks at least every 5 s)
STANDBY_INTERVAL = 1.0  # seconds between a standby's attempts (and its stop's longest wait)

_RENEW = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('EXPIRE', KEYS[1], ARGV[2]) end return 0"
)
_DELETE = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


class SingleDatabaseScheduler(DatabaseScheduler):
    """DatabaseScheduler that sends tasks only while it holds the scheduler lock."""

    def __init__(self, *args, **kwargs):
        self._me = locks.holder_name()
        self._leading = False
        self._redis = _client()
        super().__init__(*args, **kwargs)

    @property
    def leading(self) -> bool:
        return self._leading

    def _hold_lock(self) -> bool:
        """Renew the lock when held, else try to take it; False when another scheduler
        holds it (or Redis, and with it the broker, is unreachable)."""
        key = settings.SCHEDULER_LOCK_KEY
        client = self._redis
        try:
            if self._leading and client.eval(_RENEW, 1, key, self._me, LOCK_TTL):
                return True
            if client.set(key, self._me, nx=True, ex=LOCK_TTL):
                return True
            holder = client.get(key)
            if holder is not None and locks.holder_is_gone(holder.decode()):
                client.eval(_DELETE, 1, key, holder)
                return bool(client.set(key, self._me, nx=True, ex=LOCK_TTL))
        except redis.RedisError as exc:
            logger.warning("scheduler lock unavailable", extra={"error": str(exc)})
        return False

    def tick(self, *args, **kwargs):
        holding = self._hold_lock()
        if holding and not self._leading:
            logger.info("scheduler active: this process sends the periodic tasks")
            self._reload()
        elif self._leading and not holding:
            logger.warning("scheduler lock lost: standing by")
        self._leading = holding
        if not holding:
            return STANDBY_INTERVAL
        return super().tick(*args, **kwargs)

    def _reload(self) -> None:
        """Read every entry (and its last run) from the database again: another scheduler
        may have sent tasks since this one last looked."""
        self._dirty.clear()  # nothing this standby holds is newer than the database
        self._schedule = self.all_as_schedule()
        self._heap = []
        self._heap_invalidated = True

    def close(self):
        super().close()
        if self._leading:
            with contextlib.suppress(redis.RedisError):  # else the time to live frees it
                self._redis.eval(_DELETE, 1, settings.SCHEDULER_LOCK_KEY, self._me)
            self._leading = False
