"""Price the hours a poll has just written (devices.signals.rollups_updated)."""

from __future__ import annotations


def price_updated_rollups(sender, device_ids=(), hours=(), **kwargs) -> None:
    # Pricing re-walks the household's billing period (tiers), which can take a second:
    # hand it to the worker so the poll cycle stays short. If the broker is down the hours
    # stay pending (no stored cost for their energy) and price_pending catches up within a
    # minute.
    from billing import tasks
    from kasamonitor import queueing

    queueing.send(tasks.price_hours, sorted(device_ids), [hour.isoformat() for hour in hours])
