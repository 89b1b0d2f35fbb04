from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from . import groups
        from .models import User

        post_migrate.connect(groups.ensure_role_groups, sender=self, dispatch_uid="role_groups")
        post_save.connect(_sync_group, sender=User, dispatch_uid="user_role_group")


def _sync_group(sender, instance, **kwargs):
    from .groups import sync_user_group

    sync_user_group(instance)
