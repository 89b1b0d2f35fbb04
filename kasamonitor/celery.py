"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app.

`celery -A kasamonitor worker --with-scheduler` also runs the scheduler (beat) in a thread
of the worker (kasamonitor/scheduler.py).
"""

import logging
import os
import time

import click
from celery import Celery, bootsteps, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")

app = Celery("kasamonitor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class SchedulerThread(bootsteps.StartStopStep):
    """Worker step: the scheduler (CELERY_BEAT_SCHEDULER) in a thread of this worker."""

    label = "Scheduler thread"
    conditional = True

    def __init__(self, worker, with_scheduler=False, **kwargs):
        self.enabled = bool(with_scheduler)
        super().__init__(worker, **kwargs)

    def create(self, worker):
        from celery.beat import EmbeddedService

        # The scheduler class must be named: celery's Service defaults to its own
        # PersistentScheduler (a shelve file), not the configured one.
        return EmbeddedService(
            worker.app, thread=True, scheduler_cls=worker.app.conf.beat_scheduler
        )


app.user_options["worker"].add(
    click.Option(
        ["--with-scheduler"],
        is_flag=True,
        default=False,
        help="Also run the scheduler (beat) in a thread of this worker.",
    )
)
app.steps["worker"].add(SchedulerThread)


@signals.celeryd_after_setup.connect
def _wait_until_prepared(**kwargs):
    """Under `make run`: take no task and start no scheduler before the web process has
    migrated the database ($KASA_PREPARED_FILE, kasamonitor/prepare.py), then make the
    apps' default rows. The worker's own start-up (imports, Django) has run meanwhile, at
    the same time as the web process's."""
    marker = os.environ.get("KASA_PREPARED_FILE")
    if not marker:
        return
    while not os.path.exists(marker):
        time.sleep(0.05)
    # What migrate does at its end, which the web process skips when nothing was migrated
    # (its first answer does not wait for it); before the scheduler reads its rows.
    from .prepare import ensure_defaults

    try:
        ensure_defaults()
    except Exception:  # a default row that cannot be made must not stop the worker
        logging.getLogger("kasamonitor.prepare").exception("default rows not ensured")


@app.on_after_finalize.connect
def _connect_heartbeats(sender, **kwargs):
    from . import heartbeat  # noqa: F401 (connects the worker/beat signal receivers)
