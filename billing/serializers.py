"""Request and response shapes of the billing API, for the OpenAPI schema.

Plans are validated by billing.plans.normalise_plan (which names the offending field), not
by these serializers; bodies are built by billing.plans.plan_to_api and billing.costs.report.
"""

from __future__ import annotations

from rest_framework import serializers

from billing.plans import RATE_TYPES
from kasamonitor.ranges import RangeBoundField

MONEY = {"max_digits": 20, "decimal_places": 6, "coerce_to_string": False}


class TouPeriod(serializers.Serializer):
    start_hour = serializers.JSONField(help_text='0-23, or "HH:MM"')
    end_hour = serializers.JSONField(help_text='0-24, or "HH:MM"; earlier than start wraps')
    rate = serializers.DecimalField(**MONEY)
    label = serializers.CharField(required=False)
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False
    )


class UncoveredHours(serializers.Serializer):
    start_hour = serializers.JSONField(help_text='0-23, or "HH:MM"')
    end_hour = serializers.JSONField(help_text='1-24, or "HH:MM"')
    days_of_week = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))
    rate = serializers.DecimalField(**MONEY, help_text="default_rate, or the first period's")


class RatePlanIn(serializers.Serializer):
    rate_type = serializers.ChoiceField(choices=sorted(RATE_TYPES))
    currency = serializers.CharField(required=False, help_text="ISO 4217, default USD")
    timezone = serializers.CharField(required=False, help_text="IANA zone, default the server's")
    billing_cycle_start_day = serializers.IntegerField(min_value=1, max_value=28, required=False)
    rate_structure = serializers.DictField(
        required=False, help_text="rate_per_kwh, or tierN_limit / tierN_rate"
    )
    rate_config = serializers.DictField(required=False, help_text="the original product's fields")
    time_of_use_rates = TouPeriod(many=True, required=False)
    default_rate = serializers.DecimalField(
        **MONEY,
        required=False,
        help_text="price of hours no period covers; default: the first period's",
    )
    tier_rates = serializers.ListField(child=serializers.DictField(), required=False)
    seasonal_rates = serializers.ListField(child=serializers.DictField(), required=False)
    monthly_service_charge = serializers.DecimalField(**MONEY, required=False)
    demand_charge_per_kw = serializers.DecimalField(**MONEY, required=False)
    tax = serializers.DictField(required=False, help_text='{"rate": percent, "applies_to": [...]}')
    additional_fees = serializers.DictField(required=False)
    effective_date = serializers.DateField(required=False, help_text="default: now")
    name = serializers.CharField(required=False)
    notes = serializers.CharField(required=False)


class RatePlanOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null: the default plan")
    is_default = serializers.BooleanField()
    effective_from = serializers.DateTimeField()
    rate_type = serializers.ChoiceField(choices=sorted(set(RATE_TYPES.values())))
    currency = serializers.CharField()
    timezone = serializers.CharField()
    billing_cycle_start_day = serializers.IntegerField()
    rate_structure = serializers.DictField()
    time_of_use_rates = TouPeriod(many=True)
    default_rate = serializers.DecimalField(**MONEY, allow_null=True)
    uncovered_hours = UncoveredHours(many=True, help_text="hours priced at the fallback rate")
    seasonal_rates = serializers.ListField(child=serializers.DictField())
    monthly_service_charge = serializers.DecimalField(**MONEY)
    demand_charge_per_kw = serializers.DecimalField(**MONEY)
    tax = serializers.DictField()
    additional_fees = serializers.DictField()
    effective_date = serializers.DateField(allow_null=True)
    name = serializers.CharField()
    notes = serializers.CharField()


class DeviceCostOut(serializers.Serializer):
    device_id = serializers.IntegerField()
    device_ip = serializers.IPAddressField()
    device_name = serializers.CharField()
    mac = serializers.CharField()
    total_kwh = serializers.DecimalField(**MONEY)
    total_cost = serializers.DecimalField(**MONEY)
    co2_kg = serializers.DecimalField(**MONEY, help_text="kg CO2 of its energy (3 places)")
    percentage = serializers.DecimalField(**MONEY)


class DayCostOut(serializers.Serializer):
    date = serializers.DateField()
    kwh = serializers.DecimalField(**MONEY)
    cost = serializers.DecimalField(**MONEY)
    co2_kg = serializers.DecimalField(**MONEY)


class PeriodOut(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    service_charge = serializers.DecimalField(**MONEY)
    demand_charge = serializers.DecimalField(**MONEY)
    demand_kw = serializers.DecimalField(**MONEY)
    demand_at = serializers.DateTimeField(allow_null=True)
    fees = serializers.DictField()
    tax = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class CostsOut(serializers.Serializer):
    start_date = serializers.DateField(help_text="the first local day of the range")
    end_date = serializers.DateField(help_text="the last local day of the range (included)")
    start = serializers.DateTimeField(help_text="the first moment priced (UTC)")
    end = serializers.DateTimeField(help_text="the end of the last hour priced (UTC, excluded)")
    currency = serializers.CharField()
    total_cost = serializers.DecimalField(**MONEY)
    total_kwh = serializers.DecimalField(**MONEY)
    average_daily_cost = serializers.DecimalField(**MONEY)
    energy_cost = serializers.DecimalField(**MONEY)
    fixed_charges = serializers.DecimalField(**MONEY)
    co2_kg = serializers.DecimalField(
        **MONEY, help_text="kg CO2 of the range's energy at the grid's intensity (3 places)"
    )
    devices = DeviceCostOut(many=True)
    daily_breakdown = DayCostOut(many=True)
    billing_periods = PeriodOut(many=True)


class CompareIn(serializers.Serializer):
    plan = serializers.DictField(help_text="a plan as for POST /api/rates")
    start_date = RangeBoundField(required=False)
    end_date = RangeBoundField(required=False, end=True)


class ComparedPlanOut(serializers.Serializer):
    plan_id = serializers.CharField(help_text='a saved plan\'s id, "default" or "request"')
    name = serializers.CharField()
    rate_type = serializers.CharField()
    currency = serializers.CharField()
    is_current = serializers.BooleanField()
    total_cost = serializers.DecimalField(**MONEY)
    energy_cost = serializers.DecimalField(**MONEY)
    fixed_charges = serializers.DecimalField(**MONEY)
    total_kwh = serializers.DecimalField(**MONEY)
    average_daily_cost = serializers.DecimalField(**MONEY)
    difference = serializers.DecimalField(**MONEY, help_text="total_cost minus the current plan's")


class CompareOut(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    total_kwh = serializers.DecimalField(**MONEY)
    plans = ComparedPlanOut(many=True, help_text="cheapest first")
    cheapest = serializers.CharField(allow_null=True)


class IntensityOverride(serializers.Serializer):
    start_month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    end_month = serializers.IntegerField(
        min_value=1, max_value=12, required=False, help_text="included; before start wraps"
    )
    start_hour = serializers.IntegerField(min_value=0, max_value=23, required=False)
    end_hour = serializers.IntegerField(
        min_value=0, max_value=24, required=False, help_text="excluded; before start wraps"
    )
    g_per_kwh = serializers.FloatField(min_value=0, max_value=5000)
    label = serializers.CharField(required=False, allow_blank=True)


class GridIntensityIn(serializers.Serializer):
    default_g_per_kwh = serializers.FloatField(
        min_value=0, max_value=5000, help_text="g CO2/kWh of hours no override covers"
    )
    overrides = IntensityOverride(
        many=True,
        required=False,
        help_text="months, hours of the day or both (local clock); the first covering an hour wins",
    )


class GridIntensityOut(GridIntensityIn):
    is_default = serializers.BooleanField(help_text="true until an admin saves one")
    timezone = serializers.CharField(help_text="the clock hours and months are read on")
    updated_at = serializers.DateTimeField(allow_null=True)
    table = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="g CO2/kWh for each local month (12 rows) and hour of the day (24 columns)",
    )
