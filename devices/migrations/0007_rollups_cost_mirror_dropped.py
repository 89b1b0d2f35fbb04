"""Drop the copy of billing's costs the rollups carried (HourlyRollup.cost, DailyRollup.cost).

Nothing is lost: billing wrote each hour's cost to its own HourlyCost (and the day's sums to
DailyCost) before copying it here, and the copy was only ever set from those rows (for the
energy priced). An hour the copy held as unpriced (NULL) has no HourlyCost for its present
energy, which is how billing now finds the hours to price (billing.rollups.pending_hours),
so its next price_pending run prices it as before.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0006_systemconfig_moved_to_system"),
        ("billing", "0002_dailypeak_dailycost"),
    ]

    operations = [
        migrations.RemoveField(model_name="dailyrollup", name="cost"),
        migrations.RemoveField(model_name="hourlyrollup", name="cost"),
    ]
