"""make run's worker (the Procfile's): Celery's worker, started without Celery's command line.

The same worker `celery -A kasamonitor worker --with-scheduler --pool=threads
--concurrency=$WORKER_CONCURRENCY --loglevel=$LOG_LEVEL --without-mingle --without-gossip`
starts — that command still works — with the scheduler in a thread (kasamonitor/celery.py).
Celery's command line imports every subcommand it offers, among them an interactive shell
(click-repl, prompt-toolkit, Pygments): 12 MiB in a process that never uses them (issue 24).

Set before Django loads: KASA_ADMIN=0, the admin without its autodiscovery (the worker
serves no page), and CELERY_SKIP_CHECKS, since Django's system checks would load the whole
URL map (every view, the API schema's machinery) into a process that serves no URL;
`manage.py check`, migrate and the test suite run them.
"""

from __future__ import annotations

import os
import sys


def build():
    """The worker, set up (Django, every task module) and not started."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
    os.environ["KASA_ADMIN"] = "0"
    os.environ["CELERY_SKIP_CHECKS"] = "true"
    from celery import concurrency
    from celery.utils.log import mlevel
    from celery.utils.nodenames import default_nodename, host_format

    from kasamonitor import env
    from kasamonitor.celery import app

    return app.Worker(
        hostname=host_format(default_nodename(None)),
        pool_cls=concurrency.get_implementation("threads"),
        concurrency=env.worker_concurrency(),
        loglevel=mlevel(env.log_level()),
        without_mingle=True,
        without_gossip=True,
        with_scheduler=True,
    )


def main() -> int:
    worker = build()
    worker.start()
    return worker.exitcode or 0


if __name__ == "__main__":
    sys.exit(main())
