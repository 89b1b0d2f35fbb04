"""What the cost engine takes and gives back: plain dataclasses holding exact Decimals."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from billing.decimals import ZERO, exact, to_decimal
from billing.periods import require_aware


@dataclass(frozen=True)
class Interval:
    """Energy one device used between start and end (aware datetimes), e.g. an hourly rollup."""

    device_id: Hashable
    start: datetime
    end: datetime
    kwh: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "kwh", to_decimal(self.kwh))
        if require_aware(self.end).astimezone(UTC) <= require_aware(self.start).astimezone(UTC):
            raise ValueError(f"interval of {self.device_id} ends before it starts: {self.start}")
        if self.kwh < 0:
            raise ValueError(f"negative energy for {self.device_id} at {self.start}")


@dataclass
class IntervalCost:
    """The in-range part of one input interval: its energy cost and the tax on it."""

    device_id: Hashable
    start: datetime
    end: datetime
    kwh: Decimal = ZERO
    energy: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    @exact
    def cost(self) -> Decimal:
        return self.energy + self.tax


@dataclass
class DeviceCost:
    device_id: Hashable
    kwh: Decimal = ZERO
    energy: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    @exact
    def cost(self) -> Decimal:
        return self.energy + self.tax


@dataclass
class DayCost:
    """One local day: energy, tax on energy, and fixed charges of periods starting that day."""

    date: date
    kwh: Decimal = ZERO
    energy: Decimal = ZERO
    tax: Decimal = ZERO
    fixed: Decimal = ZERO

    @property
    @exact
    def cost(self) -> Decimal:
        return self.energy + self.tax + self.fixed


@dataclass
class PeriodCharges:
    """The charges billed once per billing period, and the tax on them."""

    start: datetime
    end: datetime
    service: Decimal = ZERO
    demand: Decimal = ZERO
    demand_kw: Decimal = ZERO
    demand_at: datetime | None = None
    fees: dict[str, Decimal] = field(default_factory=dict)
    tax: Decimal = ZERO

    @property
    @exact
    def total(self) -> Decimal:
        return self.service + self.demand + sum(self.fees.values(), ZERO) + self.tax


@dataclass
class CostResult:
    """Costs over [start, end). Every total is the exact sum of its breakdown."""

    start: datetime
    end: datetime
    currency: str
    intervals: list[IntervalCost]
    devices: list[DeviceCost]
    days: list[DayCost]
    periods: list[PeriodCharges]

    @property
    @exact
    def total_kwh(self) -> Decimal:
        return sum((d.kwh for d in self.days), ZERO)

    @property
    @exact
    def energy_cost(self) -> Decimal:
        """Energy cost including the tax on energy."""
        return sum((d.energy + d.tax for d in self.days), ZERO)

    @property
    @exact
    def fixed_cost(self) -> Decimal:
        """Service, demand and fee charges with their tax, for periods starting in range."""
        return sum((p.total for p in self.periods), ZERO)

    @property
    @exact
    def total_cost(self) -> Decimal:
        return sum((d.cost for d in self.days), ZERO)

    @property
    @exact
    def average_daily_cost(self) -> Decimal:
        return self.total_cost / len(self.days) if self.days else ZERO
