"""The MQTT connection of a worker process: publishes what each poll committed.

It runs in the worker (docs/integrations.md says why): after a poll commits,
publish_poll() turns the readings into messages and puts them in a bounded Outbox; a
daemon thread with its own event loop keeps one broker connection and sends them with
QoS 1, taking a message off the queue only once the broker confirmed it. A lost broker
leaves them queued: after the reconnect (1 s, doubling to 60 s) they go out in order,
so a broker restart loses and repeats nothing (beyond what drop-oldest must drop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import random
import ssl
import threading

import aiomqtt
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from billing.selectors import costs_so_far
from devices.selectors import export_rows
from integrations import poll_stats
from integrations.conf import metrics_enabled
from integrations.models import MqttSettings

from . import commands, payloads, topics
from .outbox import Message, Outbox

logger = logging.getLogger(__name__)
# aiomqtt logs a warning for each publish past 10 awaiting their PUBACK; we keep BATCH in
# flight on purpose (one round trip per batch, not per message), so only its errors show.
client_logger = logging.getLogger("integrations.mqtt.client")
client_logger.setLevel(logging.ERROR)

BATCH = 200  # messages in flight at once
CONFIRM_TIMEOUT = 5.0  # seconds for the broker's PUBACK
MAX_BACKOFF = 60.0
POLLS_WAITING = 100  # polls handed over but not yet built


class Publisher:
    def __init__(self) -> None:
        self.outbox = Outbox(settings.MQTT_QUEUE_SIZE)
        self.thread: threading.Thread | None = None
        self.builder: threading.Thread | None = None
        self.polls: queue.Queue = queue.Queue(maxsize=POLLS_WAITING)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake: asyncio.Event | None = None
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.sent = 0  # messages the broker confirmed
        self.reported_dropped = 0  # outbox.dropped as last handed to /metrics
        self.connects = 0
        self.announced: dict[str, tuple] = {}  # slug -> the settings it was announced with
        self.available: dict[str, str] = {}  # slug -> last published availability
        self.slugs: dict[str, int] = {}  # slug -> device pk, for commands
        self.state_lock = threading.Lock()  # polls (worker threads) and reconnects share these

    # -- called from any thread ----------------------------------------------------------

    def start(self) -> None:
        if self.builder is None or not self.builder.is_alive():
            self.builder = threading.Thread(target=self._build, name="mqtt-builder", daemon=True)
            self.builder.start()
        if self.thread is not None and self.thread.is_alive():
            return
        self.stopping.clear()
        self.thread = threading.Thread(target=self._main, name="mqtt-publisher", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(queue.Full):
            self.polls.put_nowait(None)
        self.stopping.set()
        self._poke()
        if self.thread is not None:
            self.thread.join(timeout)

    def put(self, messages: list[Message]) -> None:
        self.outbox.put(messages)
        self._poke()

    def submit(self, readings, devices) -> None:
        """Hand a committed poll to the builder thread: the poll's own thread goes on at once
        (building 1,000 devices' messages costs ~40 ms of CPU, not the poll's to wait for)."""
        try:
            self.polls.put_nowait((readings, devices))
        except queue.Full:  # the builder is stuck (the database?): this poll's are dropped
            with self.outbox.lock:
                self.outbox.dropped += len(devices)
            logger.warning("MQTT: %d polls wait to be built; dropped this one", POLLS_WAITING)

    def flush(self) -> None:
        """Wait until every submitted poll is in the outbox."""
        self.polls.join()

    def _build(self) -> None:
        while (poll := self.polls.get()) is not None:  # None: stop
            readings, devices = poll
            try:
                self.put(_in_django(self.poll_messages, readings, devices))
                self._report()
            except Exception:  # a bad poll must not stop the next ones
                logger.exception("Could not build a poll's MQTT messages")
            finally:
                self.polls.task_done()

    def _report(self) -> None:
        dropped, self.reported_dropped = (
            self.outbox.dropped - self.reported_dropped,
            self.outbox.dropped,
        )
        if dropped:
            logger.warning("MQTT outbox full: dropped the %d oldest messages", dropped)
        if metrics_enabled():
            poll_stats.record_mqtt(dropped=dropped, queued=len(self.outbox))

    def _poke(self) -> None:
        loop, wake = self.loop, self.wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    # -- the connection's thread ------------------------------------------------------------

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self.loop, self.wake = asyncio.get_running_loop(), asyncio.Event()
        delay = 1.0
        while not self.stopping.is_set():
            try:
                async with _client() as client:
                    delay = 1.0
                    await self._session(client)
            except* (aiomqtt.MqttError, OSError, TimeoutError) as group:
                logger.warning("MQTT broker unavailable: %s", group.exceptions[0])
            except* Exception:  # the database, a bug: log it, keep the thread, try again
                logger.exception("MQTT session failed")
            finally:
                self.connected.clear()
            if not self.stopping.is_set():
                await self._sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, MAX_BACKOFF)

    async def _sleep(self, seconds: float) -> None:
        self.wake.clear()
        with contextlib.suppress(TimeoutError):  # stop() cuts it short
            await asyncio.wait_for(self.wake.wait(), seconds)

    async def _session(self, client: aiomqtt.Client) -> None:
        self.connects += 1
        await client.publish(topics.bridge_status(), b"online", qos=1, retain=True)
        await client.subscribe(topics.command_filter(), qos=1)
        self.announced.clear()
        self.available.clear()
        self.put(await asyncio.to_thread(_in_django, self.fleet_messages))
        self.connected.set()
        async with asyncio.TaskGroup() as tasks:
            listening = tasks.create_task(self._commands(client))
            await self._send(client)  # returns when stopping (a clean stop sends no will)
            await client.publish(topics.bridge_status(), b"offline", qos=1, retain=True)
            listening.cancel()

    async def _send(self, client: aiomqtt.Client) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            batch = self.outbox.take(BATCH)
            if not batch:
                await self.wake.wait()
                continue
            results = await asyncio.gather(
                *(client.publish(m.topic, m.payload, qos=1, retain=m.retain,
                                 timeout=CONFIRM_TIMEOUT) for m in batch),
                return_exceptions=True,
            )  # fmt: skip
            failed = [
                m for m, r in zip(batch, results, strict=True) if isinstance(r, BaseException)
            ]
            self.sent += len(batch) - len(failed)
            self.outbox.confirmed(len(batch) - len(failed))
            if failed:
                self.outbox.give_back(failed)
                error = next(r for r in results if isinstance(r, BaseException))
                raise aiomqtt.MqttError(f"{len(failed)} messages unconfirmed: {error}")

    async def _commands(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            device_slug = topics.slug_of_command(str(message.topic))
            pk = self.slugs.get(device_slug or "")
            if pk is None:
                continue
            payload = bytes(message.payload or b"").decode(errors="replace")
            try:
                self.put(await asyncio.to_thread(_in_django, commands.handle, pk, payload))
            except Exception:  # one failed command must not end the session
                logger.exception("MQTT command for device %s failed", pk)

    def idle(self) -> bool:
        return self.outbox.idle()

    # -- what to publish (Django, called from worker threads) ------------------------------

    def fleet_messages(self) -> list[Message]:
        """Availability and discovery of every device (on each connect)."""
        rows = self._rows(export_rows())
        with self.state_lock:
            messages = self._announce(rows, _settings_key(costs_so_far().currency))
            for row in rows:
                messages += self._availability(row["slug"], row["status"])
        return messages

    def poll_messages(self, readings, devices) -> list[Message]:
        """Discovery of devices not yet announced, availability changes, each reading's state."""
        costs, now = costs_so_far(), timezone.now()
        key = _settings_key(costs.currency)
        messages = []
        with self.state_lock:
            if any(self.announced.get(topics.slug(d.device_id)) != key for d in devices):
                messages += self._announce(self._rows(export_rows()), key)
            for device in devices:
                messages += self._availability(topics.slug(device.device_id), device.status)
        # One retained state per reading (a strip's own row has none: its outlets do).
        by_device = {reading.device_id: reading for reading in readings}
        for device in devices:
            reading = by_device.get(device.pk)
            if reading is not None or (device.is_strip and device.status == "online"):
                messages.append(payloads.state(device, costs, now, reading))
        return messages

    def _rows(self, values: list[tuple]) -> list[dict]:
        ids = {row[0]: row[1] for row in values}
        rows = [payloads.row_of(row, ids) for row in values]
        self.slugs = {row["slug"]: row["pk"] for row in rows}
        return rows

    def _announce(self, rows: list[dict], key: tuple) -> list[Message]:
        on, control, excluded, currency = key
        messages = []
        for row in rows:
            if self.announced.get(row["slug"]) == key:
                continue
            row["controllable"] = row["pk"] not in excluded
            messages += payloads.discovery_messages(row, currency=currency, control=control, on=on)
            self.announced[row["slug"]] = key
        return messages

    def _availability(self, device_slug: str, status: str) -> list[Message]:
        message = payloads.availability(device_slug, status)
        if self.available.get(device_slug) == message.payload:
            return []
        self.available[device_slug] = message.payload
        return [message]


def _settings_key(currency: str) -> tuple:
    """(discovery on, control on, excluded device pks, currency): a change re-announces."""
    row = MqttSettings.load()
    excluded = frozenset(row.control_excluded.values_list("pk", flat=True))
    return row.discovery, row.control, excluded, currency


def _in_django(function, *args):
    """Run Django code from the connection's thread (its own database connection)."""
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


def _client() -> aiomqtt.Client:
    tls = None
    if settings.MQTT_TLS:
        tls = ssl.create_default_context(cafile=settings.MQTT_CA_FILE or None)
    return aiomqtt.Client(
        settings.MQTT_HOST,
        settings.MQTT_PORT,
        username=settings.MQTT_USERNAME or None,
        password=settings.MQTT_PASSWORD or None,
        identifier=f"{settings.MQTT_CLIENT_ID}-{os.getpid()}",  # one per worker process
        will=aiomqtt.Will(topics.bridge_status(), b"offline", qos=1, retain=True),
        tls_context=tls,
        keepalive=settings.MQTT_KEEPALIVE,
        timeout=10,
        logger=client_logger,
        max_inflight_messages=BATCH,
    )


_publisher: Publisher | None = None
_lock = threading.Lock()


def publisher() -> Publisher:
    """This process's publisher (started on first use)."""
    global _publisher
    with _lock:
        if _publisher is None:
            _publisher = Publisher()
        _publisher.start()
        return _publisher


def publish_poll(*, readings, devices) -> None:
    """Publish what a committed poll wrote (built and sent in the publisher's threads)."""
    publisher().submit(readings, devices)


def start() -> None:
    publisher()


def stop() -> None:
    global _publisher
    with _lock:
        if _publisher is not None:
            _publisher.stop()
            _publisher = None
