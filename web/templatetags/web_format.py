"""Number formats the pages share: watts, kWh, money; and totals over dashboard cards."""

from __future__ import annotations

from django import template

register = template.Library()
DASH = "—"


@register.filter
def watts(value) -> str:
    return DASH if value is None else f"{float(value):,.1f}"


@register.filter
def kwh(value) -> str:
    return DASH if value is None else f"{float(value):,.3f}"


@register.filter
def money(value, currency: str = "") -> str:
    if value is None:
        return "no cost yet"
    return f"{float(value):,.2f} {currency}".rstrip()


@register.filter
def sum_of(cards, key: str):
    """Sum one figure over the top-level cards (a strip already counts its outlets)."""
    values = [c[key] for c in cards if c[key] is not None and not c["device"].parent_id]
    return sum(values) if values else None


@register.filter
def total_power(cards) -> str:
    values = [
        c["device"].current_power_w
        for c in cards
        if c["device"].current_power_w is not None and not c["device"].is_strip
    ]
    return watts(sum(values)) if values else DASH


@register.filter
def online_count(cards) -> int:
    return sum(1 for c in cards if c["device"].status == "online")
