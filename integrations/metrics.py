"""Prometheus metrics: the exposition /metrics serves and the figures the web process keeps.

Where each figure comes from (docs/integrations.md, "Several processes"):
- devices, costs, jobs: read from the database at scrape time (the same for every process);
- the worker's poll figures and the task queue depth: from Redis (poll_stats.py);
- HTTP latency and live sockets: kept by each web process. With WEB_WORKERS > 1 they share
  a port, so serve.py gives them a PROMETHEUS_MULTIPROC_DIR and a scrape sums them all.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import redis
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from kombu.transport.redis import PRIORITY_STEPS
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector

from backups.selectors import job_counts_by_status as backup_job_counts
from billing.selectors import costs_so_far
from devices.selectors import export_rows, live_socket_count
from exports.selectors import job_counts_by_status as export_job_counts
from kasamonitor.heartbeat import redis_client

from . import poll_stats

logger = logging.getLogger(__name__)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# In multi-process mode the values live in files, read by MultiProcessCollector at scrape.
_own = None if MULTIPROCESS else CollectorRegistry(auto_describe=True)
if _own is not None:
    ProcessCollector(registry=_own)

HTTP_SECONDS = Histogram(
    "kasa_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern (never the raw path).",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=_own,
)
WS_CLIENTS = Gauge(
    "kasa_websocket_clients",
    "Live sockets (WebSocket and Socket.IO) open, summed over the web processes.",
    registry=_own,
    multiprocess_mode="livesum",
)
SOCKETS_EVERY = 5.0  # seconds between readings of the socket count
_sockets_thread: threading.Thread | None = None


def watch_sockets() -> None:
    """Keep WS_CLIENTS at this process's socket count (a daemon thread, once per process)."""
    global _sockets_thread
    if _sockets_thread is not None and _sockets_thread.is_alive():
        return

    def loop() -> None:
        while True:
            WS_CLIENTS.set(live_socket_count())
            time.sleep(SOCKETS_EVERY)

    _sockets_thread = threading.Thread(target=loop, name="metrics-sockets", daemon=True)
    _sockets_thread.start()


STATES = ("online", "offline", "auth_failed", "unknown")
# name, type, help: the per-device families, written by device_text().
DEVICE_FAMILIES = (
    ("kasa_device_power_watts", "gauge", "Power now (W)."),
    ("kasa_device_voltage_volts", "gauge", "Voltage (V)."),
    ("kasa_device_current_amperes", "gauge", "Current (A)."),
    ("kasa_device_energy_kwh_total", "counter", "The device's own cumulative energy counter (kWh)."),
    ("kasa_device_on", "gauge", "1 when switched on, 0 when off."),
    ("kasa_device_state", "gauge", "1 for the device's state: online, offline, auth_failed, unknown."),
    ("kasa_device_last_seen_age_seconds", "gauge", "Seconds since the device last answered."),
    ("kasa_device_cost_period", "gauge", "Energy cost so far this billing period (currency label)."),
    ("kasa_device_cost_today", "gauge", "Energy cost today (currency label)."),
)  # fmt: skip


def _state(status: str, reason: str) -> str:
    return "auth_failed" if status == "offline" and reason == "auth_failed" else status


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def device_text() -> str:
    """The per-device families in the text format, written directly: prometheus_client's
    generic writer validated and escaped each of 12,000 labels again (1,000 devices took
    over 300 ms); here each device's label set is escaped once."""
    rows, costs, now = export_rows(), costs_so_far(), timezone.now()
    out = {name: [] for name, _, _ in DEVICE_FAMILIES}
    (power, volts, amps, energy, on, state, age, period, today) = out.values()
    ids = {row[0]: row[1] for row in rows}
    currency = f',currency="{_escape(costs.currency)}"'
    for (pk, device_id, alias, model, parent, _type, _emeter, _enabled, status, reason, is_on,
         watts, voltage, current, total, _today, last_seen) in rows:  # fmt: skip
        labels = (f'device_id="{_escape(device_id)}",name="{_escape(alias or model or device_id)}",'
                  f'model="{_escape(model)}",parent="{_escape(ids.get(parent, ""))}"')  # fmt: skip
        for lines, name, value in ((power, "kasa_device_power_watts", watts),
                                   (volts, "kasa_device_voltage_volts", voltage),
                                   (amps, "kasa_device_current_amperes", current),
                                   (energy, "kasa_device_energy_kwh_total", total)):  # fmt: skip
            if value is not None:
                lines.append(f"{name}{{{labels}}} {float(value)!r}")
        if is_on is not None:
            on.append(f"kasa_device_on{{{labels}}} {1.0 if is_on else 0.0}")
        if last_seen is not None:
            seconds = (now - last_seen).total_seconds()
            age.append(f"kasa_device_last_seen_age_seconds{{{labels}}} {seconds!r}")
        current_state = _state(status, reason)
        for name in STATES:
            value = 1.0 if name == current_state else 0.0
            state.append(f'kasa_device_state{{{labels},state="{name}"}} {value}')
        if pk in costs.period:
            period.append(f"kasa_device_cost_period{{{labels}{currency}}} {costs.period[pk]!r}")
            today.append(f"kasa_device_cost_today{{{labels}{currency}}} {costs.day[pk]!r}")
    parts = []
    for name, kind, text in DEVICE_FAMILIES:
        parts += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *out[name]]
    return "\n".join(parts) + "\n"


class FleetCollector:
    """The worker's figures from Redis and the jobs from the database; read at each scrape."""

    def collect(self):
        try:
            yield from self._jobs()
        except DatabaseError as exc:
            logger.warning("metrics: database unavailable: %s", exc)
        try:
            client = redis_client()
            yield from self._polls(poll_stats.read(client))
            yield self._queue_depth(client)
        except redis.RedisError as exc:
            logger.warning("metrics: Redis unavailable: %s", exc)

    def _jobs(self):
        family = GaugeMetricFamily("kasa_jobs", "Export and backup jobs by state.",
                                   labels=["kind", "state"])  # fmt: skip
        for kind, counts in (("export", export_job_counts()), ("backup", backup_job_counts())):
            for state, count in counts.items():
                family.add_metric([kind, state], count)
        yield family

    def _polls(self, stats: poll_stats.PollStats):
        histogram = HistogramMetricFamily(
            "kasa_poll_cycle_duration_seconds", "Time of one poll cycle (devices + writes)."
        )
        buckets = [(str(le), count) for le, count in stats.buckets] + [("+Inf", stats.cycles)]
        histogram.add_metric([], buckets, stats.seconds_sum)
        yield histogram
        for name, value, text in (
            ("kasa_poll_devices_polled", stats.polled_total, "Devices polled."),
            ("kasa_poll_devices_failed", stats.failed_total, "Devices that did not answer a poll."),
            ("kasa_readings_written", stats.readings_total, "Readings stored."),
            ("kasa_mqtt_dropped", stats.mqtt_dropped_total,
             "MQTT messages dropped, oldest first, while the broker was away too long."),
        ):  # fmt: skip
            yield CounterMetricFamily(name, text, value=value)
        last = GaugeMetricFamily("kasa_poll_last_cycle_devices", "Devices in the last cycle.",
                                 labels=["outcome"])  # fmt: skip
        last.add_metric(["polled"], stats.last_polled)
        last.add_metric(["failed"], stats.last_failed)
        yield last
        yield GaugeMetricFamily(
            "kasa_mqtt_queued", "MQTT messages waiting for the broker after the last poll.",
            value=stats.mqtt_queued,
        )  # fmt: skip

    def _queue_depth(self, client: redis.Redis):
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        keys = [queue] + [f"{queue}\x06\x16{step}" for step in PRIORITY_STEPS if step]
        pipe = client.pipeline(transaction=False)
        for name in keys:
            pipe.llen(name)
        depth = sum(pipe.execute())
        return GaugeMetricFamily("kasa_task_queue_depth", "Celery tasks waiting.", value=depth)


class _Scrape:
    """What one scrape reads: this process's (or every web process's) figures + the fleet's."""

    def collect(self):
        if MULTIPROCESS:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from _own.collect()
        yield from FleetCollector().collect()


def exposition() -> bytes:
    """Return the text exposition of every metric."""
    try:
        devices = device_text().encode()
    except DatabaseError as exc:
        logger.warning("metrics: database unavailable: %s", exc)
        devices = b""
    return generate_latest(_Scrape()) + devices
