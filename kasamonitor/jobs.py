"""Run a long, CPU-heavy job (an export, a backup, a whole re-pricing) in a process of its own.

The worker is one process with a pool of threads: one Django and one python-kasa in memory
instead of one per prefork child. Threads share one GIL, though, and a job burning CPU for
seconds beside a poll makes every socket and database call of the poll wait for the GIL
again (measured: a 200-device cycle went from 0.3 s to 8–80 s beside a CPU-bound thread).
So such jobs run in a fresh Python process started for them (spawn, never a fork of the
threaded worker), which exits when the job ends; the worker thread that started it waits.

One job process at a time: each is a second Django in memory (~80 MiB before it does
anything), and `make run` must fit in 400 MiB while an export and a backup are asked at
once (issue 24 item 6, benchmarks/bench_capped.py: two job processes beside the web process
and the worker got one of them OOM-killed). A second job waits in its worker thread for the
first to end; the export stays "queued" and the backup "pending" until then.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")


def run_heavy(task, function: Callable[..., T], *args) -> T:
    """Call function(*args) for this Celery task: in a process of its own in the worker,
    in-line when the task runs eagerly (the caller's own transaction must see it) or when
    WORKER_JOB_PROCESSES is off. `function` must be importable by name (a module's function).
    """
    if task.request.is_eager or not settings.WORKER_JOB_PROCESSES:
        return function(*args)
    return in_own_process(function, *args)


def in_own_process(function: Callable[..., T], *args) -> T:
    """Call function(*args) in a new Python process with Django set up; return its result or
    raise its exception (BrokenProcessPool when the process died, killed or out of memory)."""
    context = multiprocessing.get_context("spawn")
    with (
        _one_at_a_time,
        ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_set_up) as pool,
    ):
        return pool.submit(function, *args).result()


_one_at_a_time = threading.Lock()  # the worker is one process: its threads share this


def _set_up() -> None:
    import django

    django.setup()
