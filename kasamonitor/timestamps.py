"""The one way a moment is written in API bodies, events and export files: ISO 8601 with "Z"
for UTC, as the spec's examples show it (2024-01-15T10:00:00Z)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso_utc(moment: date | None) -> str | None:
    """`moment` as ISO 8601, "Z" instead of "+00:00"; an aware date-time on another clock is
    written on UTC's first; None stays None."""
    if not moment:
        return None
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")
