"""Queue a task for the worker, or leave its work for the worker to find when Redis is down.

Only work the worker also finds by itself goes through send(): pricing (hours without a
stored cost for their energy, and RepriceRequest rows, stay until billing's price_pending
job, every minute, works them out). So a `manage.py` command run while `make run` (and its Redis) is stopped
completes, and can say what it left for the worker (tracked()).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@dataclass
class Sent:
    """The names of the tasks send() queued, and of those it could not."""

    queued: list[str] = field(default_factory=list)
    not_queued: list[str] = field(default_factory=list)


_tracked: ContextVar[Sent | None] = ContextVar("queueing_tracked", default=None)


def send(task, *args, **kwargs) -> bool:
    """task.delay(*args, **kwargs); False (and one log line) when the broker is unreachable."""
    sent = _tracked.get() or Sent()
    try:
        task.delay(*args, **kwargs)
    except (OperationalError, RedisError, OSError) as exc:  # kombu wraps most in the first
        logger.warning("%s not queued, the worker finds the work at its start: %s", task.name, exc)
        sent.not_queued.append(task.name)
        return False
    sent.queued.append(task.name)
    return True


@contextmanager
def tracked() -> Iterator[Sent]:
    """Record what send() queued, or could not, inside the block."""
    token = _tracked.set(Sent())
    try:
        yield _tracked.get()
    finally:
        _tracked.reset(token)
