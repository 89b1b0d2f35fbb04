"""A backup taken while polls keep writing is one consistent moment, and restores."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from backups import services
from backups.restore import backup_restore, restore_validate
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Poller(threading.Thread):
    """Writes reading n and sets the device's counter to n in the same transaction."""

    def __init__(self, device_pk: int):
        super().__init__(daemon=True)
        self.device_pk = device_pk
        self.stop = threading.Event()
        self.written = 0
        self.error: Exception | None = None

    def run(self):
        from devices.models import Device, Reading

        start = datetime(2024, 1, 1, tzinfo=UTC)
        try:
            while not self.stop.is_set():
                with transaction.atomic():
                    Reading.objects.create(
                        device_id=self.device_pk, power_w=self.written,
                        timestamp=start + timedelta(seconds=self.written),
                    )  # fmt: skip
                    Device.objects.filter(pk=self.device_pk).update(energy_total_kwh=self.written)
                self.written += 1
        except Exception as exc:  # surfaced by the test
            self.error = exc
        finally:
            connection.close()


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_backup_during_polling_is_consistent_and_restorable(tmp_path):
    from devices.models import Device, Reading

    device = DeviceFactory()
    poller = Poller(device.pk)
    poller.start()
    try:
        _wait_for(lambda: poller.written >= 20)
        written_before = poller.written
        path = services.backup_create()
        assert poller.written > written_before  # polls went on while the backup ran
        _wait_for(lambda: poller.written >= written_before + 50)
    finally:
        poller.stop.set()
        poller.join(10)
    assert poller.error is None
    restore_validate(path, tmp_path / "check")  # readable, checksums and snapshot sound

    backup_restore(path)

    powers = sorted(Reading.objects.filter(device=device).values_list("power_w", flat=True))
    count = len(powers)
    assert written_before <= count <= poller.written
    assert powers == [float(n) for n in range(count)]  # no gaps: one moment in time
    assert Device.objects.get(pk=device.pk).energy_total_kwh == count - 1  # tables agree
