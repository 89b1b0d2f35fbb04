"""SystemConfig moves here from the devices app with its table and row.

The model is created in the migration state only, on the existing devices_systemconfig
table, which is then renamed; its content type (and so its permissions and admin log
entries) is relabelled rather than recreated.
"""

import django.core.validators
from django.db import migrations, models


def relabel_content_type(apps, schema_editor, old="devices", new="system"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label=old, model="systemconfig"
    ).update(app_label=new)


def relabel_content_type_back(apps, schema_editor):
    relabel_content_type(apps, schema_editor, old="system", new="devices")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("devices", "0004_device_connection"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SystemConfig",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "polling_interval",
                            models.PositiveIntegerField(
                                default=60,
                                validators=[
                                    django.core.validators.MinValueValidator(5),
                                    django.core.validators.MaxValueValidator(86400),
                                ],
                            ),
                        ),
                        (
                            "data_retention_days",
                            models.PositiveIntegerField(
                                default=365,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(36500),
                                ],
                            ),
                        ),
                        ("allow_device_control", models.BooleanField(default=True)),
                        ("require_https", models.BooleanField(default=False)),
                        ("allow_registration", models.BooleanField(default=False)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "system configuration",
                        "verbose_name_plural": "system configuration",
                        "db_table": "devices_systemconfig",
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="systemconfig", table=None),
        migrations.RunPython(relabel_content_type, relabel_content_type_back),
    ]
