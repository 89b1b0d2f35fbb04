"""SystemConfig now belongs to the system app (system/migrations/0001_initial.py took over
its table and row): forget it here without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0005_smart_devices"),
        ("system", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SystemConfig")],
        ),
    ]
