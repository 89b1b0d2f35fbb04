"""The accounts app's start-up: role groups, the cleanup row and the user signals."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import groups, signals  # noqa: F401
        from .admin_site import KasaAdminSite
        from .hashing import hashing_plan
        from .models import User

        hashing_plan()  # a memory budget too small for WEB_WORKERS stops the start here
        post_migrate.connect(groups.ensure_role_groups, sender=self, dispatch_uid="role_groups")
        post_migrate.connect(_cleanup_schedule, sender=self, dispatch_uid="accounts_cleanup")
        post_save.connect(_sync_group, sender=User, dispatch_uid="user_role_group")
        # However a user is disabled or deleted (API, console, shell), their sockets close.
        post_save.connect(_end_sockets_of_disabled, sender=User, dispatch_uid="user_sockets")
        post_delete.connect(_end_sockets_of_deleted, sender=User, dispatch_uid="user_sockets")
        post_save.connect(_first_password, sender=User, dispatch_uid="user_first_password")
        user_logged_in.connect(signals.audit_login, dispatch_uid="accounts_audit_login")
        user_login_failed.connect(
            signals.audit_login_failed, dispatch_uid="accounts_audit_login_failed"
        )
        user_logged_in.connect(signals.console_login, dispatch_uid="accounts_console_login")
        user_logged_out.connect(signals.console_logout, dispatch_uid="accounts_console_logout")
        # django-otp's recipe (done here because urls.py is shared): the admin asks users
        # with a confirmed 2FA device for their code; see admin_site.py.
        admin.site.__class__ = KasaAdminSite


def _sync_group(sender, instance, **kwargs):
    from .groups import sync_user_group

    sync_user_group(instance)


def _end_sockets_of_disabled(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        from .socket_groups import sockets_end_for_user

        sockets_end_for_user(instance.pk)


def _end_sockets_of_deleted(sender, instance, **kwargs):
    from .socket_groups import sockets_end_for_user

    sockets_end_for_user(instance.pk)


def _first_password(sender, instance, created, raw=False, **kwargs):
    # The password a user is created with is the first of their history (loaddata: raw).
    if created and not raw:
        from .passwords import record_history

        record_history(instance)


def _cleanup_schedule(**kwargs):
    from .periodic import setup_periodic_tasks

    setup_periodic_tasks(**kwargs)
