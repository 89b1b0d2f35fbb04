"""Receivers of the devices app's signals: each one line calling this app's functions."""

from __future__ import annotations

import logging

from .conf import metrics_enabled, mqtt_enabled

logger = logging.getLogger(__name__)


def poll_finished(sender, summary, readings=(), devices=(), **kwargs) -> None:
    if metrics_enabled():
        from . import poll_stats

        poll_stats.record(
            seconds=summary.kasa_seconds + summary.write_seconds,
            polled=summary.polled,
            failed=summary.failed,
            readings=len(readings),
        )
    if mqtt_enabled():
        from .mqtt import publisher

        try:  # the poll has committed: a publishing problem must not fail it
            publisher.publish_poll(readings=readings, devices=devices)
        except Exception:
            logger.exception("Could not hand the poll to the MQTT publisher")


def connect_worker_signals() -> None:
    """Start the MQTT connection when a worker starts (commands arrive before any poll)."""
    from celery.signals import worker_ready, worker_shutdown

    worker_ready.connect(_worker_ready, dispatch_uid="integrations.worker_ready")
    worker_shutdown.connect(_worker_shutdown, dispatch_uid="integrations.worker_shutdown")


def _worker_ready(**kwargs) -> None:
    if mqtt_enabled():
        from .mqtt import publisher

        publisher.start()


def _worker_shutdown(**kwargs) -> None:
    if mqtt_enabled():
        from .mqtt import publisher

        publisher.stop()
