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
