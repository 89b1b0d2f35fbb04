"""Signals other apps listen to (billing prices the hours it is told about)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a poll (or backfill) has committed new energy into HourlyRollup rows.
# kwargs: device_ids: list[int], hours: list[datetime] (UTC hour starts). Billing prices
# the touched hours; its periodic job also finds any hour whose energy changed since it
# was priced, so a lost signal delays a price, never loses it.
rollups_updated = Signal()

# Sent after commit for each device whose status changed in a poll (online <-> offline).
# kwargs: device: Device, old_status: str, new_status: str. Monitoring raises/resolves alerts.
device_status_changed = Signal()

# Sent after commit at the end of every poll run (even when nothing answered).
# kwargs: summary: PollSummary, readings: list[Reading] (their .device holds the polled
# state), devices: list[Device] (every device whose state the poll wrote, failed ones too).
# integrations records the cycle's figures for /metrics and publishes to MQTT.
poll_finished = Signal()
