"""What the insights app keeps: how far each closed billing period's projection was off."""

from __future__ import annotations

from django.db import models


class ProjectionCheck(models.Model):
    """A closed billing period: the projection made at its middle beside what it came to.

    Written once per period, after it closes (insights.services.record_closed_period).
    error_cost is projected - actual (positive: the projection was too high).
    """

    period_start = models.DateTimeField(unique=True, help_text="UTC")
    period_end = models.DateTimeField(help_text="UTC, excluded")
    first_day = models.DateField()
    last_day = models.DateField()
    currency = models.CharField(max_length=3)
    projected_at = models.DateTimeField(help_text="The moment the projection was made for.")
    projected_kwh = models.FloatField()
    projected_cost = models.DecimalField(max_digits=18, decimal_places=6)
    low_cost = models.DecimalField(max_digits=18, decimal_places=6)
    high_cost = models.DecimalField(max_digits=18, decimal_places=6)
    actual_kwh = models.FloatField()
    actual_cost = models.DecimalField(max_digits=18, decimal_places=6)
    error_cost = models.DecimalField(max_digits=18, decimal_places=6)
    error_percent = models.FloatField(null=True, help_text="None when the actual cost is 0.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return f"{self.first_day}..{self.last_day}: {self.projected_cost} vs {self.actual_cost}"


class ApplianceKind(models.TextChoices):
    WASHER = "washer", "Washing machine"
    DISHWASHER = "dishwasher", "Dishwasher"
    KETTLE = "kettle", "Kettle"
    DRYER = "dryer", "Tumble dryer"
    CUSTOM = "custom", "Other appliance"


class ApplianceSettings(models.Model):
    """A device that powers an appliance whose runs are detected (insights/runs.py).

    The three figures start from the kind's preset (insights.runs.PRESETS) and can be
    changed; a change re-detects the device's runs from its readings.
    """

    device = models.OneToOneField(
        "devices.Device", on_delete=models.CASCADE, related_name="appliance"
    )
    kind = models.CharField(max_length=16, choices=ApplianceKind.choices)
    threshold_w = models.FloatField(help_text="Running while the power is at or above this.")
    min_run_minutes = models.PositiveIntegerField(help_text="Shorter bursts are not runs.")
    max_gap_minutes = models.PositiveIntegerField(
        help_text="Pauses shorter than this are part of the run (a washer soaking)."
    )
    detected_until = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Readings from here on are still to be looked at (None: none yet).",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "appliance run settings"
        verbose_name_plural = "appliance run settings"

    def __str__(self) -> str:
        return f"{self.device}: {self.get_kind_display()}"


class ApplianceRun(models.Model):
    """One detected run: [start, end), its energy, and that energy minute by minute from
    the start (what billing prices it from, and the typical run is averaged from)."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="runs")
    start = models.DateTimeField()
    end = models.DateTimeField()
    kwh = models.FloatField()
    profile = models.JSONField(help_text="kWh of each minute from the start.")

    class Meta:
        ordering = ["device", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["device", "start"], name="appliance_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.device_id} @ {self.start:%Y-%m-%d %H:%M}: {self.kwh:.3f} kWh"
