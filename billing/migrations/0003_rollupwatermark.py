"""RollupWatermark: when price_pending last looked at the rollups written (billing.rollups)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_dailypeak_dailycost"),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupWatermark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("looked_at", models.DateTimeField()),
            ],
        ),
    ]
