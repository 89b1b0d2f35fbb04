"""Drop the copy of billing's costs the rollups carried (HourlyRollup.cost, DailyRollup.cost).

Nothing is lost: billing wrote each hour's cost to its own HourlyCost (and the day's sums to
DailyCost) before copying it here, and the copy was only ever set from those rows (for the
energy priced). An hour the copy held as unpriced (NULL) has no HourlyCost for its present
energy, which is how billing now finds the hours to price (billing.rollups.pending_hours);
billing has not looked at the rollups yet (no RollupWatermark row), so its next
price_pending run looks at every row and prices it as before.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0007_hourlyrollup_updated_at"),
        ("billing", "0003_rollupwatermark"),
    ]

    operations = [
        migrations.RemoveField(model_name="dailyrollup", name="cost"),
        migrations.RemoveField(model_name="hourlyrollup", name="cost"),
    ]
