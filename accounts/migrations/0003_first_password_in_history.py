"""Users made by create_user (admin API, registration, first-run setup, createsuperuser) had
no history entry for the password they were created with: remember each such user's current
password, so their next change cannot be undone within the policy's count."""

from django.db import migrations


def remember_current_passwords(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    PasswordHistory = apps.get_model("accounts", "PasswordHistory")
    users = User.objects.filter(password_history__isnull=True).exclude(password__startswith="!")
    PasswordHistory.objects.bulk_create(
        PasswordHistory(user_id=pk, password=password)
        for pk, password in users.exclude(password="").values_list("pk", "password")
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_sessions_passwords_2fa")]

    operations = [migrations.RunPython(remember_current_passwords, migrations.RunPython.noop)]
