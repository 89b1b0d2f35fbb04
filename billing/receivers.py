"""Price the hours a poll has just written (devices.signals.rollups_updated)."""

from __future__ import annotations

import logging

from billing import services

logger = logging.getLogger(__name__)


def price_updated_rollups(sender, device_ids=(), hours=(), **kwargs) -> None:
    # A failure must not break the poll that sent this; the rollups keep cost=None and
    # the price_pending task tries again within a minute.
    try:
        services.price_hours(device_ids, hours)
    except Exception:
        logger.exception("pricing the hours of the last poll failed; price_pending retries")
