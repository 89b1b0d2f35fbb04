from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (Prometheus, MQTT)"

    def ready(self) -> None:
        from devices.signals import device_status_changed, poll_finished

        from . import receivers

        poll_finished.connect(receivers.poll_finished, dispatch_uid="integrations.poll_finished")
        device_status_changed.connect(
            receivers.status_changed, dispatch_uid="integrations.status_changed"
        )
        receivers.connect_worker_signals()
