"""Saved rate plans, and the cost of each device's energy per hour as priced by the engine."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class RatePlan(models.Model):
    """One version of the household's tariff, in force from effective_from until the next one.

    plan holds billing.plans.plan_to_api() of the validated plan (Decimals as strings);
    billing.selectors normalises it again on load.
    """

    name = models.CharField(max_length=100, blank=True)
    plan = models.JSONField(encoder=DjangoJSONEncoder)
    effective_from = models.DateTimeField(
        unique=True, help_text="The moment this plan starts to price energy (UTC)."
    )
    # Copies of fields inside plan, for the admin's list and filters.
    rate_type = models.CharField(max_length=20, editable=False)
    currency = models.CharField(max_length=3, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        label = self.name or f"{self.rate_type} plan"
        return f"{label} from {self.effective_from:%Y-%m-%d %H:%M}"


class HourlyCost(models.Model):
    """The cost (energy and the tax on it) of one device's energy in one UTC hour.

    kwh is the rollup's energy_kwh that was priced, so a changed rollup shows as stale.
    cost keeps 12 decimal places: sums over a year stay exact far below a cent.
    """

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    kwh = models.FloatField()
    cost = models.DecimalField(max_digits=24, decimal_places=12)
    # The grid's carbon intensity of the hour (billing/carbon.py) times kwh, in grams.
    co2_g = models.FloatField(default=0.0)
    priced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["hour", "device"]
        constraints = [
            models.UniqueConstraint(fields=["device", "hour"], name="hourly_cost_unique")
        ]
        # Covering index: /api/costs sums whole ranges without touching the table.
        indexes = [
            models.Index(fields=["hour", "device", "kwh", "cost", "co2_g"], name="hourly_cost_sums")
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.hour:%Y-%m-%d %H}:00 {self.cost}"


class RepriceRequest(models.Model):
    """Costs from start on must be worked out again (a plan changed); done by price_pending."""

    start = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]

    def __str__(self) -> str:
        return f"re-price from {self.start:%Y-%m-%d %H:%M} ({self.reason})"


class RollupWatermark(models.Model):
    """One row: when price_pending last looked at the rollups written (billing.rollups)."""

    looked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"rollups looked at {self.looked_at:%Y-%m-%d %H:%M:%S}"


class DailyCost(models.Model):
    """The sums of one device's HourlyCost rows over one local day (the plan's clock).

    Kept by the pricing pipeline, so /api/costs over a year reads 365 rows per device.
    """

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kwh = models.FloatField()
    cost = models.DecimalField(max_digits=24, decimal_places=12)
    co2_g = models.FloatField(default=0.0)

    class Meta:
        ordering = ["day", "device"]
        constraints = [models.UniqueConstraint(fields=["device", "day"], name="daily_cost_unique")]
        indexes = [
            models.Index(fields=["day", "device", "kwh", "cost", "co2_g"], name="daily_cost_sums")
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.day} {self.cost}"


class DailyPeak(models.Model):
    """The household's busiest hour of one local day, for demand charges."""

    day = models.DateField(unique=True)
    hour = models.DateTimeField()
    kwh = models.DecimalField(max_digits=24, decimal_places=12)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.kwh} kWh at {self.hour:%H}:00"


class GridIntensity(models.Model):
    """One row: the grid's carbon intensity, applied to energy like a price (billing/carbon.py).

    overrides holds billing.carbon.normalise()'s checked list; no row: the default intensity.
    """

    default_g_per_kwh = models.FloatField(help_text="g CO2 per kWh of the hours no override covers")
    overrides = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"start_month": 6, "end_month": 8, "start_hour": 11, "end_hour": 16, '
        '"g_per_kwh": 180, "label": "Summer midday"}, ...]: the first that covers an hour '
        "(its local month and hour) wins; months inclusive, hours up to end_hour.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )

    class Meta:
        verbose_name = "grid carbon intensity"
        verbose_name_plural = "grid carbon intensity"

    def __str__(self) -> str:
        extra = f" + {len(self.overrides)} overrides" if self.overrides else ""
        return f"{self.default_g_per_kwh:g} g CO2/kWh{extra}"
