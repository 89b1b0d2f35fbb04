"""Heavy jobs run in a process of their own when the worker runs them (kasamonitor/jobs.py)."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from types import SimpleNamespace

import pytest

from kasamonitor.jobs import in_own_process, run_heavy


def queue_name() -> str:
    from django.conf import settings

    return settings.CELERY_TASK_DEFAULT_QUEUE


def task(eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_a_job_run_by_the_worker_gets_a_process_with_django_set_up(settings):
    settings.WORKER_JOB_PROCESSES = True

    assert run_heavy(task(eager=False), os.getpid) != os.getpid()
    assert run_heavy(task(eager=False), queue_name) == queue_name()  # same settings, same env


def test_an_eager_task_or_the_setting_off_runs_the_job_in_line(settings):
    settings.WORKER_JOB_PROCESSES = True
    assert run_heavy(task(eager=True), os.getpid) == os.getpid()

    settings.WORKER_JOB_PROCESSES = False
    assert run_heavy(task(eager=False), os.getpid) == os.getpid()


def test_the_jobs_exception_reaches_the_task():
    with pytest.raises(ValueError, match="invalid literal"):
        in_own_process(int, "not a number")


def test_a_job_process_that_dies_fails_the_task():
    # Killed or out of memory: the worker's thread gets an error, so the task's on_failure
    # marks the export or backup failed instead of waiting for ever.
    with pytest.raises(BrokenProcessPool):
        in_own_process(os._exit, 3)


def running_window(seconds: float) -> tuple[float, float]:
    """A job: when it ran (time.time() at its start and end)."""
    import time

    started = time.time()
    time.sleep(seconds)
    return started, time.time()


def test_two_jobs_asked_at_once_run_one_after_the_other():
    """Two job processes at once do not fit beside make run in 400 MiB (issue 24 item 6):
    an export and a backup asked together run in turn, each in its own process."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as threads:  # two worker threads, each running a task
        windows = sorted(threads.map(lambda _: in_own_process(running_window, 1.0), range(2)))
    (_, first_end), (second_start, _) = windows
    assert second_start >= first_end
