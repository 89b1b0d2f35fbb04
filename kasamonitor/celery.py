"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")

app = Celery("kasamonitor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _connect_heartbeats(sender, **kwargs):
    from . import heartbeat  # noqa: F401 (connects the worker/beat signal receivers)
