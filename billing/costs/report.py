"""A CostResult in the spec's GET /api/costs shape, rounded so that every total still adds up."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import Any

from billing.decimals import ZERO, exact, percentages, present, present_parts
from billing.engine.results import CostResult, DeviceCost, PeriodCharges
from billing.plans import currency_places

KWH_PLACES = 3


@exact
def costs_to_api(
    result: CostResult,
    *,
    devices: Mapping[Hashable, Mapping[str, Any]] | None = None,
    places: int | None = None,
) -> dict:
    """Return total_cost, total_kwh, average_daily_cost, devices and daily_breakdown.

    Rounded parts add up exactly to the rounded totals (largest remainder): the daily
    costs to total_cost, the device costs plus fixed_charges to total_cost, and the
    device percentages (each device's share of the device costs) to 100. devices maps a
    device id to extra fields for its row, such as device_ip and device_name.
    """
    places = currency_places(result.currency) if places is None else places
    *device_costs, fixed = present_parts(
        [*(d.cost for d in result.devices), result.fixed_cost], places
    )
    return {
        "currency": result.currency,
        "total_cost": present(result.total_cost, places),
        "total_kwh": present(result.total_kwh, KWH_PLACES),
        "average_daily_cost": present(result.average_daily_cost, places),
        "energy_cost": sum(device_costs, ZERO),
        "fixed_charges": fixed,
        "devices": _device_rows(result.devices, device_costs, devices or {}),
        "daily_breakdown": _day_rows(result, places),
        "billing_periods": [_period_row(p, places) for p in result.periods],
    }


def _device_rows(
    rows: list[DeviceCost], costs: list[Decimal], extra: Mapping[Hashable, Mapping[str, Any]]
) -> list[dict]:
    kwhs = present_parts([d.kwh for d in rows], KWH_PLACES)
    weights = [d.cost for d in rows] if any(d.cost for d in rows) else [d.kwh for d in rows]
    return [
        {
            "device_id": d.device_id,
            **extra.get(d.device_id, {}),
            "total_kwh": kwh,
            "total_cost": cost,
            "percentage": share,
        }
        for d, kwh, cost, share in zip(rows, kwhs, costs, percentages(weights), strict=True)
    ]


def _day_rows(result: CostResult, places: int) -> list[dict]:
    costs = present_parts([d.cost for d in result.days], places)
    kwhs = present_parts([d.kwh for d in result.days], KWH_PLACES)
    return [
        {"date": d.date.isoformat(), "kwh": kwh, "cost": cost}
        for d, kwh, cost in zip(result.days, kwhs, costs, strict=True)
    ]


def _period_row(period: PeriodCharges, places: int) -> dict:
    parts = present_parts(
        [period.service, period.demand, *period.fees.values(), period.tax], places
    )
    service, demand, *fees, tax = parts
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "service_charge": service,
        "demand_charge": demand,
        "demand_kw": present(period.demand_kw, KWH_PLACES),
        "demand_at": period.demand_at.isoformat() if period.demand_at else None,
        "fees": dict(zip(period.fees, fees, strict=True)),
        "tax": tax,
        "total": sum(parts, ZERO),
    }
