"""The grid's carbon intensity, and each stored hour's and day's grams of CO2 beside its cost.

Costs stored before have no grams yet: a re-pricing of all history is requested, which
the next price_pending run works out (as after the first rate plan).
"""

from datetime import UTC, datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def reprice_history(apps, schema_editor):
    if apps.get_model("billing", "HourlyCost").objects.exists():
        apps.get_model("billing", "RepriceRequest").objects.create(
            start=datetime(1970, 1, 1, tzinfo=UTC), reason="grams of CO2 added to stored costs"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_rollupwatermark"),
        ("devices", "0008_rollups_cost_mirror_dropped"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GridIntensity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "default_g_per_kwh",
                    models.FloatField(help_text="g CO2 per kWh of the hours no override covers"),
                ),
                (
                    "overrides",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='[{"start_month": 6, "end_month": 8, "start_hour": 11, "end_hour": 16, "g_per_kwh": 180, "label": "Summer midday"}, ...]: the first that covers an hour (its local month and hour) wins; months inclusive, hours up to end_hour.',
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "grid carbon intensity",
                "verbose_name_plural": "grid carbon intensity",
            },
        ),
        migrations.RemoveIndex(
            model_name="dailycost",
            name="daily_cost_sums",
        ),
        migrations.RemoveIndex(
            model_name="hourlycost",
            name="hourly_cost_sums",
        ),
        migrations.AddField(
            model_name="dailycost",
            name="co2_g",
            field=models.FloatField(default=0.0),
        ),
        migrations.AddField(
            model_name="hourlycost",
            name="co2_g",
            field=models.FloatField(default=0.0),
        ),
        migrations.AddIndex(
            model_name="dailycost",
            index=models.Index(
                fields=["day", "device", "kwh", "cost", "co2_g"], name="daily_cost_sums"
            ),
        ),
        migrations.AddIndex(
            model_name="hourlycost",
            index=models.Index(
                fields=["hour", "device", "kwh", "cost", "co2_g"], name="hourly_cost_sums"
            ),
        ),
        migrations.AddField(
            model_name="gridintensity",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(reprice_history, migrations.RunPython.noop),
    ]
