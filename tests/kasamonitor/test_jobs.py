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
