"""The rates page's form <-> the plan POST /api/rates takes (docs/billing.md).

The form edits every plan type and part: flat, tiered, time of use, combined, seasonal and
seasonal tiered; service, demand and tax charges, fees, the billing-cycle day, the zone and
the effective date. Repeated rows (periods, tiers, fees) post as repeated names, in order;
an all-blank row is an unused spare. Seasons are numbered blocks (names prefixed "s0-",
"s1-", ...). billing validates what plan_from_form builds and names the bad field as a
path (time_of_use_rates[1].end_hour, seasonal_rates[0].tier_rates[1].max_kwh, tax.rate);
form_context() puts each message on the input that path names.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

RATE_TYPES = [
    ("simple", "Flat rate"),
    ("tiered", "Tiered (price rises with use)"),
    ("time_of_use", "Time of use (price by hour)"),
    ("combined", "Time of use + tiers"),
    ("seasonal", "Seasonal (prices by month)"),
    ("seasonal_tiered", "Seasonal with tiers"),
]
SEASONAL = ("seasonal", "seasonal_tiered")
TAXABLE = [("energy", "Energy"), ("service", "Service charge"), ("demand", "Demand charge"),
           ("fees", "Fees")]  # fmt: skip
DAY_CHOICES = [("", "Every day"), ("0,1,2,3,4", "Monday–Friday"), ("5,6", "Saturday–Sunday")]
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PERIOD_COLUMNS = {"p_label": "label", "p_start": "start_hour", "p_end": "end_hour",
                  "p_rate": "rate", "p_days": "days_of_week"}  # fmt: skip
TIER_COLUMNS = {"tier_max": "max_kwh", "tier_rate": "rate_per_kwh"}
FEE_COLUMNS = {"fee_name": "name", "fee_amount": "amount"}
SCALARS = ("currency", "timezone", "billing_cycle_start_day", "effective_date", "name", "notes",
           "rate_per_kwh", "default_rate", "monthly_service_charge", "demand_charge_per_kw")  # fmt: skip
SPARE_ROWS = 2
SPARE_SEASONS = 2
_INDEX = re.compile(r"^(\w+)\[(\d+)\]\.?(.*)$")


# -- form -> plan ---------------------------------------------------------------------------


def _value(text: Any) -> Any:
    """A number for the API, or the text as typed (billing then says what is wrong with it)."""
    text = str(text or "").strip()
    if not text:
        return None
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return text


def _rows(post, prefix: str, columns: dict[str, str]) -> list[dict]:
    lists = [post.getlist(prefix + name) for name in columns]
    rows = []
    for cells in zip(*lists, strict=False):
        if any(str(c).strip() for c in cells):
            rows.append(dict(zip(columns.values(), cells, strict=True)))
    return rows


def _periods(post, prefix: str) -> list[dict]:
    periods = []
    for row in _rows(post, prefix, PERIOD_COLUMNS):
        period = {"label": row["label"].strip(), "start_hour": _value(row["start_hour"]),
                  "end_hour": _value(row["end_hour"]), "rate": _value(row["rate"])}  # fmt: skip
        if row["days_of_week"].strip():
            period["days_of_week"] = [_value(d) for d in row["days_of_week"].split(",")]
        periods.append(period)
    return periods


def _tiers(post, prefix: str) -> list[dict]:
    tiers, low = [], 0
    for row in _rows(post, prefix, TIER_COLUMNS):
        top = _value(row["max_kwh"])
        tiers.append({"min_kwh": low, "max_kwh": top, "rate_per_kwh": _value(row["rate_per_kwh"])})
        low = top if isinstance(top, int | float) else low
    return tiers


def _energy(post, prefix: str, rate_type: str) -> dict:
    """The energy prices of the plan (prefix "") or of a season (prefix "s0-")."""
    body: dict[str, Any] = {}
    flat = _value(post.get(prefix + "rate_per_kwh"))
    periods, tiers = _periods(post, prefix), _tiers(post, prefix)
    if rate_type == "simple" or (rate_type in SEASONAL and flat is not None):
        body["base_rate" if prefix else "rate_per_kwh"] = flat
    if rate_type in ("time_of_use", "combined") or (rate_type in SEASONAL and periods):
        body["time_of_use_rates"] = periods
        if _value(post.get(prefix + "default_rate")) is not None:
            body["default_rate"] = _value(post[prefix + "default_rate"])
    if rate_type in ("tiered", "combined", "seasonal_tiered") or (rate_type in SEASONAL and tiers):
        body["tier_rates"] = tiers
    return body


def _seasons(post, rate_type: str) -> list[dict]:
    seasons = []
    for n in range(int(post.get("season_count") or 0)):
        prefix = f"s{n}-"
        typed = [v for k in post if k.startswith(prefix) for v in post.getlist(k) if v.strip()]
        if not typed:
            continue  # a spare season block
        head = {k: post.get(prefix + k, "").strip() for k in ("label", "start_month", "end_month")}
        energy = _energy(post, prefix, rate_type)
        seasons.append(
            {
                "label": head["label"],
                "start_month": _value(head["start_month"]),
                "end_month": _value(head["end_month"]),
                **energy,
            }  # fmt: skip
        )
    return seasons


def plan_from_form(post) -> dict:
    """The API's plan from the rates form."""
    rate_type = post.get("rate_type", "simple")
    body: dict[str, Any] = {"rate_type": rate_type}
    for name in ("currency", "timezone", "effective_date", "name", "notes"):
        if post.get(name, "").strip():
            body[name] = post[name].strip().upper() if name == "currency" else post[name].strip()
    for name in ("billing_cycle_start_day", "monthly_service_charge", "demand_charge_per_kw"):
        if _value(post.get(name)) is not None:
            body[name] = _value(post[name])
    if rate_type in SEASONAL:
        body["seasonal_rates"] = _seasons(post, rate_type)
    else:
        body.update(_energy(post, "", rate_type))
    body["tax"] = {"rate": _value(post.get("tax_rate")) or 0,
                   "applies_to": post.getlist("tax_applies_to")}  # fmt: skip
    body["additional_fees"] = [
        {"name": row["name"].strip(), "amount": _value(row["amount"])}
        for row in _rows(post, "", FEE_COLUMNS)
    ]
    return body


# -- plan -> form -----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 0.0500 -> 0.05, 1E+1 -> 10
    return str(value)


def _tiers_of(structure: dict) -> list[dict]:
    """tier1_limit/tier1_rate, ... (GET /api/rates' rate_structure) as a list of tiers."""
    tiers, n = [], 1
    while f"tier{n}_rate" in structure:
        tiers.append({"max_kwh": structure.get(f"tier{n}_limit"),
                      "rate_per_kwh": structure[f"tier{n}_rate"]})  # fmt: skip
        n += 1
    return tiers


def from_api(plan: dict) -> dict:
    """The form's plan shape (what plan_from_form builds) from GET /api/rates' shape."""
    structure = plan.get("rate_structure") or {}
    body = {k: plan.get(k) for k in ("rate_type", *SCALARS) if k in plan}
    body.update(rate_per_kwh=structure.get("rate_per_kwh"), tier_rates=_tiers_of(structure),
                time_of_use_rates=plan.get("time_of_use_rates") or [],
                tax=plan.get("tax") or {}, additional_fees=[
                    {"name": k, "amount": v} for k, v in (plan.get("additional_fees") or {}).items()
                ])  # fmt: skip
    body["seasonal_rates"] = [
        {"label": s.get("label", ""), "start_month": s.get("start_month"),
         "end_month": s.get("end_month"), "base_rate": (s.get("rate_structure") or {}).get("rate_per_kwh"),
         "tier_rates": _tiers_of(s.get("rate_structure") or {}),
         "time_of_use_rates": s.get("time_of_use_rates") or [], "default_rate": s.get("default_rate")}
        for s in plan.get("seasonal_rates") or []
    ]  # fmt: skip
    return body


def _days_text(days: Any) -> str:
    if not days or len(days) == 7:
        return ""
    return ",".join(str(d) for d in days)


def _errors_at(problem, path: str) -> str:
    return problem.at(path) if problem else ""


def _row_block(items: list[dict], columns: dict[str, str], path: str, problem) -> list[dict]:
    rows = []
    for index, item in enumerate([*items, *([{}] * SPARE_ROWS)]):
        values, errors = {}, {}
        for name, key in columns.items():
            value = item.get(key)
            if key == "rate_per_kwh" and value is None:
                value = item.get("rate")
            values[name] = _days_text(value) if key == "days_of_week" else _text(value)
            errors[name] = _errors_at(problem, f"{path}[{index}].{key}")
        rows.append(
            {
                "values": values,
                "errors": errors,
                "error": next(iter(filter(None, errors.values())), ""),
            }
        )
    return rows


def _day_choices(rows: list[dict]) -> list[tuple[str, str]]:
    """The days menu: the usual choices, plus any other set a period already has."""
    choices = list(DAY_CHOICES)
    for row in rows:
        days = row["values"]["p_days"]
        if days and days not in dict(choices):
            names = ", ".join(
                DAY_NAMES[int(d)] for d in days.split(",") if d.strip().isdigit() and int(d) < 7
            )
            choices.append((days, names or days))
    return choices


def _energy_block(prices: dict, prefix: str, path: str, problem) -> dict:
    periods = _row_block(prices.get("time_of_use_rates") or [], PERIOD_COLUMNS,
                         f"{path}time_of_use_rates", problem)  # fmt: skip
    flat_key = "base_rate" if prefix else "rate_per_kwh"
    return {
        "prefix": prefix,
        "flat": _text(prices.get(flat_key)),
        "flat_error": _errors_at(problem, path + flat_key),
        "default_rate": _text(prices.get("default_rate")),
        "default_error": _errors_at(problem, path + "default_rate"),
        "periods": periods,
        "periods_error": _errors_at(problem, path + "time_of_use_rates"),
        "day_choices": _day_choices(periods),
        "tiers": _row_block(prices.get("tier_rates") or [], TIER_COLUMNS, f"{path}tier_rates", problem),
        "tiers_error": _errors_at(problem, path + "tier_rates"),
    }  # fmt: skip


def form_context(plan: dict, problem=None) -> dict:
    """What templates/web/rates.html renders: values and errors, field by field."""
    seasons = plan.get("seasonal_rates") or []
    blocks = []
    for n, season in enumerate([*seasons, *([{}] * SPARE_SEASONS)]):
        path = f"seasonal_rates[{n}]."
        block = _energy_block(season, f"s{n}-", path, problem)
        block.update(
            number=n + 1, label=season.get("label", ""),
            start_month=_text(season.get("start_month")), end_month=_text(season.get("end_month")),
            head_error=" ".join(filter(None, (_errors_at(problem, path + k) for k in ("start_month", "end_month", "label")))),
        )  # fmt: skip
        blocks.append(block)
    tax = plan.get("tax") or {}
    applies = tax.get("applies_to")
    return {
        "rate_type": plan.get("rate_type") or "simple",
        "values": {k: _text(plan.get(k)) for k in SCALARS},
        "errors": {k: _errors_at(problem, k) for k in SCALARS},
        "energy": _energy_block(plan, "", "", problem),
        "seasons": blocks,
        "season_count": len(blocks),
        "seasons_error": _errors_at(problem, "seasonal_rates"),
        "tax_rate": _text(tax.get("rate")) if tax.get("rate") else "",
        "tax_error": _errors_at(problem, "tax.rate") or _errors_at(problem, "tax.applies_to"),
        "tax_applies": [(k, label, applies is None or k in applies) for k, label in TAXABLE],
        "fees": _row_block(plan.get("additional_fees") or [], FEE_COLUMNS, "additional_fees", problem),
        "fees_error": _errors_at(problem, "additional_fees"),
        "rate_types": RATE_TYPES,
        "months": [(n, name) for n, name in enumerate(MONTHS, start=1)],
    }  # fmt: skip


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
