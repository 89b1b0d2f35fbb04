"""HourlyRollup.updated_at: when a poll, a backfill or an import last wrote the row.

Billing looks for the hours to price again among the rows written since it last looked
(billing.rollups.pending_hours). Existing rows get the time of this migration; billing's
first run after it has never looked, so it looks at every row once.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0006_systemconfig_moved_to_system"),
    ]

    operations = [
        migrations.AddField(
            model_name="hourlyrollup",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddIndex(
            model_name="hourlyrollup",
            index=models.Index(fields=["updated_at"], name="hourly_rollup_updated"),
        ),
    ]
