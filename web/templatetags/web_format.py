"""Number formats the pages share: watts, kWh, money; and totals over dashboard cards."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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
def signed_money(value, currency: str = "") -> str:
    """A change of money with its sign: "+2.70 USD", "-0.90 USD", "0.00 USD"."""
    sign = "+" if float(value) > 0 else ""
    return f"{sign}{float(value):,.2f} {currency}".rstrip()


@register.filter
def change_percent(value) -> str:
    """A change in per cent, "+38 %", or "new" when there was nothing before (None)."""
    return "new" if value is None else f"{float(value):+.0f} %"


def _every(cards) -> list[dict]:
    """The top-level cards and the outlet cards inside the strips' cards."""
    return [x for c in cards for x in (c, *c.get("outlets", ()))]


@register.filter
def sum_of(cards, key: str):
    """Sum one figure over the top-level cards (a strip already counts its outlets)."""
    values = [c[key] for c in cards if c[key] is not None]
    return sum(values) if values else None


@register.filter
def total_power(cards) -> str:
    """Power now: plugs and outlets (a strip's own figure would count its outlets twice)."""
    values = [
        c["device"].current_power_w
        for c in _every(cards)
        if c["device"].current_power_w is not None and not c["device"].is_strip
    ]
    return watts(sum(values)) if values else DASH


@register.filter
def online_count(cards) -> int:
    return sum(1 for c in _every(cards) if c["device"].status == "online")


@register.filter
def device_count(cards) -> int:
    return len(_every(cards))


@register.filter
def money_or_dash(value, currency: str = "") -> str:
    return DASH if value is None else money(value, currency)


@register.filter
def cost_line(value, currency: str = "") -> str:
    """ "Cost 1.20 USD", or why there is none: energy is priced once readings come in."""
    if value is None:
        return "No cost yet: priced once readings come in"
    return f"Cost {money(value, currency)}"


@register.filter
def when(value) -> str:
    """An ISO 8601 timestamp as local "YYYY-MM-DD HH:MM"."""
    from datetime import datetime

    from django.utils import timezone

    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment.tzinfo else str(value)


@register.filter
def co2_line(kg) -> str:
    """' · 1.23 kg CO₂' beside a cost, or nothing while the days are not priced. Rounded half
    up from the figure as the API gives it (0.475 kg shows 0.48, as by hand; a float's
    own formatting would say 0.47)."""
    if kg is None:
        return ""
    return f" · {Decimal(str(kg)).quantize(Decimal('0.01'), ROUND_HALF_UP):,} kg CO₂"
