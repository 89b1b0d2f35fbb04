"""The security app's start-up: auth signal receivers, API docs templates, its beat row."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SecurityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "security"

    def ready(self) -> None:
        from drf_spectacular import views as spectacular

        from . import periodic

        # The API docs pages with the CSP nonce on their inline script (headers.py). Set
        # here because drf_spectacular's own templates come first in INSTALLED_APPS order;
        # as_view(template_name=...) in kasamonitor/urls.py would do the same.
        spectacular.SpectacularSwaggerView.template_name = "security/swagger_ui.html"
        spectacular.SpectacularRedocView.template_name = "security/redoc.html"

        post_migrate.connect(
            periodic.setup_periodic_tasks, sender=self, dispatch_uid="security.schedules"
        )
