"""The scheduler runs in a thread of the real worker (`--with-scheduler`, make run's
Procfile): periodic tasks are sent on time and run, and with two such workers only one of
them sends (a Redis lock); when that one dies the other takes over at once."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests import live

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _worker_args(name: str) -> list[str]:
    import sys

    return [
        sys.executable, "-m", "celery", "-A", "kasamonitor", "worker", "--with-scheduler",
        "--loglevel=INFO", "--pool=threads", "--concurrency=2", "--without-mingle",
        "--without-gossip", "-n", f"{name}-{os.getpid()}@localhost",
    ]  # fmt: skip


def _pings_sent(log) -> int:
    return log.read_text().count("Sending due task test: ping")


def test_two_workers_with_the_scheduler_send_each_periodic_task_once(tmp_path):
    queue = f"kasa-scheduler-{live.free_port()}"  # its own queue and scheduler lock
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    # Only this row: the default ones (polls, pricing) must not run beside other tests.
    PeriodicTask.objects.exclude(name="test: ping").update(enabled=False)
    PeriodicTask.objects.create(
        name="test: ping", task="kasamonitor.tasks.ping", interval=every_second
    )
    env = live.process_env(CELERY_QUEUE=queue)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with (
        live.running(_worker_args("first"), env, logs[0]) as first,
        live.running(_worker_args("second"), env, logs[1]) as second,
    ):
        live.wait_until(
            lambda: sum(log.read_text().count("succeeded") for log in logs) >= 3,
            timeout=60,
            what="three pings sent by the scheduler and run by a worker",
        )
        time.sleep(3)
        sent = [_pings_sent(log) for log in logs]
        active = [log.read_text().count("scheduler active") for log in logs]
        assert sorted(active) == [0, 1], active  # one scheduler sends, the other stands by
        assert min(sent) == 0 and max(sent) >= 3, sent

        # The sending worker dies (the OOM killer, kill -9): the other takes over at once.
        leader, standby_log = (first, logs[1]) if sent[0] else (second, logs[0])
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
        killed = time.monotonic()
        live.wait_until(
            lambda: _pings_sent(standby_log) >= 2,
            timeout=30,
            what="pings sent by the worker that stood by",
        )
        assert time.monotonic() - killed < 15  # not the lock's 30-s time to live
        assert "scheduler active" in standby_log.read_text()
