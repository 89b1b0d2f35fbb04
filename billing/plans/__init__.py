"""Rate plans: read the spec's and the original Kasa Monitor's vocabularies, validate, normalise.

A normalised plan uses the original product's field names, so it is also valid input:
normalise_plan(normalise_plan(x)) == normalise_plan(x), and so is plan_to_api's output.

The parser is this package: the plan as a whole here, its prices (flat, time-of-use,
tiers, seasons) in prices.py, single fields in fields.py, PlanError in errors.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import PlanError
from .fields import (
    ZERO,
    Fields,
    number,
    optional_number,
    whole,
)
from .prices import fallback_rate, pricing, seasons, uncovered_hours

__all__ = [
    "PlanError",
    "currency_places",
    "effective_from",
    "normalise_plan",
    "plan_to_api",
]

RATE_TYPES = {
    "simple": "simple",
    "flat": "simple",
    "tiered": "tiered",
    "time_of_use": "time_of_use",
    "tou": "time_of_use",
    "combined": "combined",
    "seasonal": "seasonal",
    "seasonal_tiered": "seasonal_tiered",
}
SEASONAL = ("seasonal", "seasonal_tiered")
TAXABLE = ("energy", "service", "demand", "fees")

# ISO 4217 codes of currencies in use (funds and precious metals left out).
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
CURRENCIES = frozenset(_ISO_4217.split())
# Minor units where they are not 2 (ISO 4217), for presenting amounts.
_NO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_MINOR_UNITS = {
    **dict.fromkeys(_NO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def normalise_plan(data: Mapping[str, Any], *, default_timezone: str = "UTC") -> dict:
    """Return a validated plan in one canonical shape; raise PlanError naming the bad field."""
    fields = Fields(data)
    rate_type = _rate_type(fields)
    return {
        "rate_type": rate_type,
        "currency": _currency(fields),
        "timezone": _timezone(fields, default_timezone),
        "billing_cycle_start_day": _cycle_day(fields),
        **_energy_prices(fields, rate_type),
        "monthly_service_charge": optional_number(fields, "monthly_service_charge"),
        "demand_charge_per_kw": optional_number(fields, "demand_charge_per_kw"),
        "tax": _tax(fields),
        "additional_fees": _fees(fields),
        "effective_date": _effective_date(fields),
        "name": _text(fields, "name"),
        "notes": _text(fields, "notes"),
    }


def plan_to_api(plan: Mapping[str, Any]) -> dict:
    """Return a normalised plan in the spec's GET /api/rates shape, plus our richer fields."""
    return {
        "rate_type": plan["rate_type"],
        "currency": plan["currency"],
        "timezone": plan["timezone"],
        "billing_cycle_start_day": plan["billing_cycle_start_day"],
        "rate_structure": _structure_to_api(plan),
        **_tou_to_api(plan),
        "seasonal_rates": [_season_to_api(s) for s in plan["seasonal_rates"]],
        "monthly_service_charge": plan["monthly_service_charge"],
        "demand_charge_per_kw": plan["demand_charge_per_kw"],
        "tax": {"rate": plan["tax"]["rate"], "applies_to": list(plan["tax"]["applies_to"])},
        "additional_fees": dict(plan["additional_fees"]),
        "effective_date": plan["effective_date"],
        "name": plan["name"],
        "notes": plan["notes"],
    }


def effective_from(plan: Mapping[str, Any]) -> datetime | None:
    """Return the start of the plan's effective date (local midnight in its zone), if it has one."""
    if not plan["effective_date"]:
        return None
    day = date.fromisoformat(plan["effective_date"])
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(plan["timezone"]))


def currency_places(currency: str) -> int:
    """Return how many decimals amounts in this currency are shown with (2 for most)."""
    return _MINOR_UNITS.get(currency, 2)


def _rate_type(fields: Fields) -> str:
    value, path = fields.find("rate_type")
    key = value.strip().lower() if isinstance(value, str) else None
    if key not in RATE_TYPES:
        choices = ", ".join(sorted(set(RATE_TYPES) - {"flat", "tou"}))
        raise PlanError(path, f"must be one of {choices}")
    return RATE_TYPES[key]


def _energy_prices(fields: Fields, rate_type: str) -> dict:
    if rate_type not in SEASONAL:
        return {**pricing(fields, rate_type), "seasonal_rates": []}
    value, path = fields.find("seasonal_rates")
    return {
        "rate_per_kwh": None,
        "time_of_use_rates": [],
        "default_rate": None,
        "tier_rates": [],
        "seasonal_rates": seasons(value, path, rate_type),
    }


def _currency(fields: Fields) -> str:
    value, path = fields.find("currency")
    if value is None:
        return "USD"
    code = value.strip().upper() if isinstance(value, str) else None
    if code not in CURRENCIES:
        raise PlanError(path, "must be an ISO 4217 currency code such as USD or EUR")
    return code


def _timezone(fields: Fields, default: str) -> str:
    value, path = fields.find("timezone", "time_zone")
    name = default if value is None else value
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise PlanError(path, "must be an IANA time zone such as Europe/London") from None
    return name


def _cycle_day(fields: Fields) -> int:
    value, path = fields.find("billing_cycle_start_day")
    return 1 if value is None else whole(value, path, 1, 28)


def _tax(fields: Fields) -> dict:
    tax, path = fields.find("tax")
    if tax is None:
        (rate, rate_path), (applies, applies_path) = (
            fields.find("tax_rate"),
            fields.find("tax_applies_to"),
        )
    elif isinstance(tax, Mapping):
        rate, rate_path = tax.get("rate"), f"{path}.rate"
        applies, applies_path = tax.get("applies_to"), f"{path}.applies_to"
    else:
        raise PlanError(path, 'must be an object: {"rate": percent, "applies_to": [...]}')
    percent = ZERO if rate is None else number(rate, rate_path, maximum=Decimal(100))
    return {"rate": percent, "applies_to": _taxed_components(applies, applies_path)}


def _taxed_components(value: Any, path: str) -> list[str]:
    if value is None:
        return list(TAXABLE)
    if not isinstance(value, list) or not all(isinstance(c, str) and c in TAXABLE for c in value):
        raise PlanError(path, f"must be a list drawn from {', '.join(TAXABLE)}")
    return [c for c in TAXABLE if c in value]


def _fees(fields: Fields) -> dict[str, Decimal]:
    value, path = fields.find("additional_fees", "fees")
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): number(v, f"{path}.{k}") for k, v in value.items()}
    if not isinstance(value, list):
        raise PlanError(path, "must be an object of fee name: amount")
    fees = [_named_fee(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if len({name for name, _ in fees}) < len(fees):
        raise PlanError(path, "fee names must be different")
    return dict(fees)


def _named_fee(item: Any, path: str) -> tuple[str, Decimal]:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not item["name"]:
        raise PlanError(f"{path}.name", "is required")
    return item["name"], number(item.get("amount"), f"{path}.amount")


def _effective_date(fields: Fields) -> str | None:
    value, path = fields.find("effective_date")
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise PlanError(path, "must be a date such as 2024-06-01") from None


def _text(fields: Fields, name: str) -> str:
    value, _ = fields.find(name)
    return "" if value is None else str(value)


def _structure_to_api(prices: Mapping[str, Any]) -> dict:
    structure = {}
    if prices["rate_per_kwh"] is not None:
        structure["rate_per_kwh"] = prices["rate_per_kwh"]
    for n, tier in enumerate(prices["tier_rates"], start=1):
        if tier["max_kwh"] is not None:
            structure[f"tier{n}_limit"] = tier["max_kwh"]
        structure[f"tier{n}_rate"] = tier["rate"]
    return structure


def _period_to_api(period: Mapping[str, Any]) -> dict:
    return {
        "start_hour": _clock(period["start_minute"]),
        "end_hour": _clock(period["end_minute"]),
        "rate": period["rate"],
        "label": period["label"],
        "days_of_week": list(period["days_of_week"]),
    }


def _season_to_api(season: Mapping[str, Any]) -> dict:
    return {
        "start_month": season["start_month"],
        "end_month": season["end_month"],
        "label": season["label"],
        "rate_structure": _structure_to_api(season),
        **_tou_to_api(season),
    }


def _tou_to_api(prices: Mapping[str, Any]) -> dict:
    """The periods, the default rate and the hours that fall back to it (with their rate)."""
    periods = prices["time_of_use_rates"]
    fallback = fallback_rate(prices) if periods else None
    return {
        "time_of_use_rates": [_period_to_api(p) for p in periods],
        "default_rate": prices["default_rate"],
        "uncovered_hours": [
            {
                "start_hour": _clock(gap["start_minute"]),
                "end_hour": _clock(gap["end_minute"]),
                "days_of_week": gap["days_of_week"],
                "rate": fallback,
            }
            for gap in uncovered_hours(prices)
        ],
    }


def _clock(minute: int) -> int | str:
    """A whole hour as a number (the spec's start_hour), otherwise "HH:MM"."""
    return minute // 60 if minute % 60 == 0 else f"{minute // 60:02d}:{minute % 60:02d}"
