from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SecurityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "security"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from drf_spectacular import views as spectacular

        from . import receivers

        # The API docs pages with the CSP nonce on their inline script (headers.py). Set
        # here because drf_spectacular's own templates come first in INSTALLED_APPS order;
        # as_view(template_name=...) in kasamonitor/urls.py would do the same.
        spectacular.SpectacularSwaggerView.template_name = "security/swagger_ui.html"
        spectacular.SpectacularRedocView.template_name = "security/redoc.html"

        post_migrate.connect(
            receivers.ensure_schedules, sender=self, dispatch_uid="security.schedules"
        )
        user_logged_in.connect(receivers.admin_logged_in, dispatch_uid="security.admin_login")
        user_login_failed.connect(
            receivers.admin_login_failed, dispatch_uid="security.admin_login_failed"
        )
