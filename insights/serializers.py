"""Request and response shapes of the insights API, for validation and the OpenAPI schema.

Bodies are built by insights.selectors; these serializers describe them.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insights.changes import MAX_DAYS
from insights.models import ApplianceKind
from insights.projection import DEFAULT_HISTORY_DAYS
from insights.standby import DEFAULT_NIGHTS
from kasamonitor.ranges import SCHEMA as RANGE_SCHEMA

MONEY = {"max_digits": 20, "decimal_places": 6, "coerce_to_string": False}


class StandbyQuery(serializers.Serializer):
    nights = serializers.IntegerField(
        min_value=1, max_value=28, default=DEFAULT_NIGHTS,
        help_text="How many of the last nights to read (00:00-05:00 on the household's clock).",
    )  # fmt: skip


class ProjectionQuery(serializers.Serializer):
    history_days = serializers.IntegerField(
        min_value=7, max_value=90, default=DEFAULT_HISTORY_DAYS,
        help_text="How many whole days before today make the daily pattern.",
    )  # fmt: skip


class StandbyFigures(serializers.Serializer):
    standby_w = serializers.FloatField(help_text="Always-on power in watts.")
    yearly_kwh = serializers.FloatField()
    yearly_cost = serializers.DecimalField(**MONEY, help_text="In `currency`.")
    yearly_co2_kg = serializers.FloatField(help_text="kg CO2 at the grid's intensity.")


class StandbyDevice(StandbyFigures):
    id = serializers.IntegerField()
    device_ip = serializers.CharField(allow_null=True)
    device_name = serializers.CharField()
    night_hours = serializers.IntegerField(help_text="Night hours with readings.")


class StandbyOut(serializers.Serializer):
    timezone = serializers.CharField(help_text="The household's clock that nights are on.")
    nights = serializers.IntegerField()
    night_hours = serializers.CharField(help_text='Local hours of a night, "00:00-05:00".')
    percentile = serializers.IntegerField(help_text="Percentile of the hourly mean power.")
    start = serializers.DateTimeField(allow_null=True, help_text="First night hour read (UTC).")
    end = serializers.DateTimeField(allow_null=True, help_text="End of the last night hour.")
    first_night = serializers.DateField(allow_null=True)
    last_night = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    year_start = serializers.DateField(help_text="The year priced starts on this local day.")
    household = StandbyFigures()
    devices = StandbyDevice(many=True, help_text="Highest standby first.")


class Period(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Excluded.")
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    days = serializers.IntegerField()
    days_elapsed = serializers.FloatField()


class SoFar(serializers.Serializer):
    kwh = serializers.FloatField()
    energy_cost = serializers.DecimalField(**MONEY, help_text="Energy and its tax.")
    co2_kg = serializers.FloatField(help_text="kg CO2 of the energy so far.")


class Bound(serializers.Serializer):
    kwh = serializers.FloatField()
    total_cost = serializers.DecimalField(**MONEY)


class Projected(serializers.Serializer):
    kwh = serializers.FloatField()
    co2_kg = serializers.FloatField(help_text="kg CO2 by the period's end.")
    energy_cost = serializers.DecimalField(**MONEY)
    fixed_charges = serializers.DecimalField(**MONEY, help_text="Billed once per period.")
    total_cost = serializers.DecimalField(**MONEY)
    low = Bound()
    high = Bound()


class Basis(serializers.Serializer):
    history_days = serializers.IntegerField()
    weekdays = serializers.IntegerField(help_text="Weekdays with readings in the pattern.")
    weekend_days = serializers.IntegerField()
    weekday_kwh = serializers.FloatField(help_text="A weekday's projected kWh.")
    weekend_kwh = serializers.FloatField()


class Check(serializers.Serializer):
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    currency = serializers.CharField()
    projected_at = serializers.DateTimeField(help_text="The projection made at mid-period.")
    projected_kwh = serializers.FloatField()
    projected_cost = serializers.DecimalField(**MONEY)
    low_cost = serializers.DecimalField(**MONEY)
    high_cost = serializers.DecimalField(**MONEY)
    actual_kwh = serializers.FloatField()
    actual_cost = serializers.DecimalField(**MONEY)
    error_cost = serializers.DecimalField(**MONEY, help_text="Projected minus actual.")
    error_percent = serializers.FloatField(allow_null=True)


class ProjectionOut(serializers.Serializer):
    currency = serializers.CharField()
    timezone = serializers.CharField(help_text="The plan's clock.")
    as_of = serializers.DateTimeField()
    period = Period()
    so_far = SoFar()
    projected = Projected()
    basis = Basis()
    checks = Check(many=True, help_text="Closed periods, newest first.")


@extend_schema_field(RANGE_SCHEMA)
class BoundText(serializers.CharField):
    """A range bound kept as text: insights.changes reads it on the plan's clock."""


class ChangesQuery(serializers.Serializer):
    start = BoundText(
        required=False, allow_blank=True,
        help_text="With end: the period [start, end) instead of the billing period so far. "
        "A date is a whole day on the clock of the plan in force.",
    )  # fmt: skip
    end = BoundText(
        required=False, allow_blank=True,
        help_text=f"A date includes the whole day. At most {MAX_DAYS} days after start.",
    )  # fmt: skip


class Figures(serializers.Serializer):
    kwh = serializers.FloatField()
    cost = serializers.DecimalField(**MONEY, help_text="Energy and its tax, in `currency`.")
    co2_kg = serializers.FloatField(help_text="kg CO2 of the energy (the grid's intensity).")


class Change(Figures):
    earlier_kwh = serializers.FloatField()
    kwh_change = serializers.FloatField()
    kwh_change_percent = serializers.FloatField(
        allow_null=True, help_text="Null when the earlier kWh is zero."
    )
    earlier_cost = serializers.DecimalField(**MONEY)
    cost_change = serializers.DecimalField(**MONEY)
    cost_change_percent = serializers.FloatField(
        allow_null=True, help_text="Null when the earlier cost is zero."
    )
    earlier_co2_kg = serializers.FloatField()
    co2_change_kg = serializers.FloatField()
    co2_change_percent = serializers.FloatField(
        allow_null=True, help_text="Null when the earlier kg is zero."
    )
    new = serializers.BooleanField(help_text="Nothing used in the earlier period, some now.")


class DeviceChange(Change):
    id = serializers.IntegerField()
    device_name = serializers.CharField()
    device_ip = serializers.CharField(allow_null=True)


class Mover(serializers.Serializer):
    id = serializers.IntegerField()
    device_name = serializers.CharField()
    cost_change = serializers.DecimalField(**MONEY)
    cost_change_percent = serializers.FloatField(allow_null=True)
    label = serializers.CharField(help_text='"Kettle +38 %", or "Kettle new".')


class Movers(serializers.Serializer):
    up = Mover(many=True, help_text="The largest cost rises, largest first (at most 3).")
    down = Mover(many=True, help_text="The largest cost falls, largest first (at most 3).")


class Span(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Excluded.")
    first_day = serializers.DateField()
    last_day = serializers.DateField()


class ChangedPeriod(Span):
    so_far = serializers.BooleanField(help_text="The current billing period up to this hour.")


class Comparison(Span):
    household = Change()
    devices = DeviceChange(many=True, help_text="Highest cost in the period first.")
    movers = Movers()


class ChangesOut(serializers.Serializer):
    currency = serializers.CharField()
    timezone = serializers.CharField(help_text="The plan's clock (of dates and days).")
    as_of = serializers.DateTimeField()
    period = ChangedPeriod()
    household = Figures()
    previous = Comparison(help_text="The period of the same length before it.")
    year_ago = Comparison(help_text="The same period a year earlier.")


# -- appliance runs -----------------------------------------------------------------------


class RunsQuery(serializers.Serializer):
    device_id = serializers.CharField(help_text="The device's numeric id, IP or MAC.")
    limit = serializers.IntegerField(
        min_value=1, max_value=100, default=20, help_text="How many of the latest runs to list."
    )


class ApplianceSettingsIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ApplianceKind.choices, required=False,
        help_text="The appliance's kind: its preset fills the figures not given.",
    )  # fmt: skip
    threshold_w = serializers.FloatField(min_value=0.1, max_value=10000, required=False)
    min_run_minutes = serializers.IntegerField(min_value=1, max_value=720, required=False)
    max_gap_minutes = serializers.IntegerField(min_value=1, max_value=240, required=False)


class ApplianceSettingsOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ApplianceKind.choices)
    threshold_w = serializers.FloatField()
    min_run_minutes = serializers.IntegerField()
    max_gap_minutes = serializers.IntegerField()
    detected_until = serializers.DateTimeField(
        allow_null=True, help_text="Readings from here on are still to be looked at."
    )


class RunDevice(serializers.Serializer):
    id = serializers.IntegerField()
    device_name = serializers.CharField()
    device_ip = serializers.CharField()


class ApplianceOut(serializers.Serializer):
    device = RunDevice()
    settings = ApplianceSettingsOut(allow_null=True, help_text="None: runs are not detected.")
    presets = serializers.DictField(
        child=serializers.DictField(), help_text="Each kind's threshold_w, min_run_minutes, "
        "max_gap_minutes.",
    )  # fmt: skip


class Run(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    duration_minutes = serializers.FloatField()
    kwh = serializers.FloatField()
    cost = serializers.DecimalField(**MONEY, help_text="Energy and its tax, in `currency`.")
    currency = serializers.CharField()
    co2_kg = serializers.FloatField(help_text="kg CO2 at the grid's intensity, minute by minute.")


class StartHour(serializers.Serializer):
    hour = serializers.CharField(help_text="Local HH:MM.")
    start = serializers.DateTimeField()
    cost = serializers.DecimalField(**MONEY)


class Cheapest(serializers.Serializer):
    day = serializers.DateField(help_text="Tomorrow on the household's clock.")
    same_every_hour = serializers.BooleanField()
    hour = serializers.CharField(help_text="The cheapest local hour to start the typical run.")
    cost = serializers.DecimalField(**MONEY)
    dearest_hour = serializers.CharField()
    dearest_cost = serializers.DecimalField(**MONEY)
    hours = StartHour(many=True)


class RunSummary(serializers.Serializer):
    runs = serializers.IntegerField(help_text="How many runs the figures are of (at most 10).")
    avg_kwh = serializers.FloatField(allow_null=True)
    avg_cost = serializers.DecimalField(**MONEY, allow_null=True)
    avg_co2_kg = serializers.FloatField(allow_null=True)
    cheapest = Cheapest(allow_null=True)


class RunsOut(serializers.Serializer):
    device = RunDevice()
    settings = ApplianceSettingsOut(allow_null=True)
    currency = serializers.CharField()
    timezone = serializers.CharField()
    runs = Run(many=True)
    summary = RunSummary()
