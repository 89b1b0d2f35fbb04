from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (Prometheus, MQTT)"

    def ready(self) -> None:
        from devices.signals import poll_finished

        from . import receivers

        poll_finished.connect(receivers.poll_finished, dispatch_uid="integrations.poll_finished")
        receivers.connect_worker_signals()
