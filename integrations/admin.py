from django.conf import settings
from django.contrib import admin

from .conf import metrics_enabled, mqtt_enabled
from .models import MqttSettings


@admin.register(MqttSettings)
class MqttSettingsAdmin(admin.ModelAdmin):
    fields = ["connection", "metrics", "discovery", "control", "control_excluded", "updated_at"]
    readonly_fields = ["connection", "metrics", "updated_at"]
    filter_horizontal = ["control_excluded"]

    @admin.display(description="Broker (from the environment)")
    def connection(self, obj) -> str:
        if not mqtt_enabled():
            return "off: set MQTT_HOST (docs/integrations.md)"
        tls = " over TLS" if settings.MQTT_TLS else ""
        return f"{settings.MQTT_HOST}:{settings.MQTT_PORT}{tls}, topics under {settings.MQTT_BASE_TOPIC}/"

    @admin.display(description="Prometheus /metrics")
    def metrics(self, obj) -> str:
        if not metrics_enabled():
            return "off: set METRICS_TOKEN or METRICS_ALLOWED_IPS"
        ways = ["bearer token"] * bool(settings.METRICS_TOKEN)
        ways += [f"addresses {', '.join(settings.METRICS_ALLOWED_IPS)}"] * bool(
            settings.METRICS_ALLOWED_IPS
        )
        return "on, for " + " or ".join(ways)

    def has_add_permission(self, request) -> bool:
        return not MqttSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
