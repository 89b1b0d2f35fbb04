from django.db import migrations, models


def mark_console_sessions(apps, schema_editor):
    LoginSession = apps.get_model("accounts", "LoginSession")
    LoginSession.objects.filter(device_name__endswith="(admin console)").update(console=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_first_password_in_history")]

    operations = [
        migrations.AddField(
            model_name="loginsession", name="console", field=models.BooleanField(default=False)
        ),
        migrations.RunPython(mark_console_sessions, migrations.RunPython.noop),
    ]
