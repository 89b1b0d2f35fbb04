"""Admin for devices: actions call the same services as the API.

services is imported inside the actions: admin autodiscovery runs early, and importing the
API error module then would pull DRF's settings (and the auth classes) in mid-setup.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin, ImportExportModelAdmin

from . import selectors
from .models import DailyRollup, Device, HourlyRollup, Outage, Reading
from .resources import DeviceResource, ReadingResource


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OutletInline(admin.TabularInline):
    model = Device
    fk_name = "parent"
    fields = ["alias", "child_id", "device_id", "status", "is_on", "current_power_w"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "outlet"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(ImportExportModelAdmin):
    resource_classes = [DeviceResource]
    list_display = [
        "name", "host", "mac", "model", "device_type", "status", "offline_reason", "is_on",
        "current_power_w", "last_seen", "enabled", "readings_link",
    ]  # fmt: skip
    list_filter = ["status", "device_type", "offline_reason", "enabled", "model"]
    search_fields = ["alias", "host", "mac", "device_id", "model"]
    date_hierarchy = "created_at"
    inlines = [OutletInline]
    readonly_fields = [
        "device_id", "mac", "parent", "child_id", "model", "device_type", "hw_version",
        "fw_version", "has_emeter", "status", "offline_reason", "failed_polls", "failing_since",
        "is_on", "rssi", "current_power_w", "voltage", "current", "energy_total_kwh",
        "today_energy_kwh", "month_energy_kwh", "last_seen", "last_polled_at",
        "last_reading_at", "created_at", "updated_at",
    ]  # fmt: skip
    exclude = ["credentials"]
    actions = ["poll_now", "turn_on", "turn_off", "discover"]

    def save_model(self, request, obj, form, change):
        if change and {"host", "port"} & set(form.changed_data):
            from . import services

            old = Device.objects.values_list("host", "port").get(pk=obj.pk)
            services.device_address_changed(
                obj, old_host=old[0], old_port=old[1], actor=request.user, request=request
            )
        super().save_model(request, obj, form, change)

    @admin.display(description="readings")
    def readings_link(self, obj):
        url = reverse("admin:devices_reading_changelist") + f"?device__id__exact={obj.pk}"
        return format_html('<a href="{}">readings</a>', url)

    @admin.action(description="Poll now")
    def poll_now(self, request, queryset):
        from . import services

        for device in queryset:
            summary = services.device_poll_one(device)
            self.message_user(request, f"{device}: {summary.succeeded} ok, {summary.failed} failed")

    @admin.action(description="Turn on")
    def turn_on(self, request, queryset):
        self._switch(request, queryset, "on")

    @admin.action(description="Turn off")
    def turn_off(self, request, queryset):
        self._switch(request, queryset, "off")

    @admin.action(description="Discover devices (ignores the selection)")
    def discover(self, request, queryset):
        from . import services
        from .kasa_client import KasaClientError

        try:
            found = services.device_discover(actor=request.user, request=request)
        except (KasaClientError, OSError) as exc:
            self.message_user(request, f"Discovery failed: {exc}", messages.ERROR)
            return
        self.message_user(request, f"Discovery found {len(found)} device(s).")

    def _switch(self, request, queryset, action: str) -> None:
        from kasamonitor.errors import ApiError

        from . import services

        for device in queryset:
            try:
                services.device_set_power(
                    device=device, action=action, actor=request.user, request=request
                )
            except ApiError as exc:
                self.message_user(request, f"{device}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{device} turned {action}.")


@admin.register(Reading)
class ReadingAdmin(ExportMixin, ReadOnlyAdmin):
    resource_classes = [ReadingResource]
    list_display = ["device", "timestamp", "is_on", "power_w", "voltage", "energy_delta_kwh"]
    list_filter = ["device"]
    list_select_related = ["device"]
    date_hierarchy = "timestamp"
    show_full_result_count = False


@admin.register(HourlyRollup)
class HourlyRollupAdmin(ReadOnlyAdmin):
    list_display = ["device", "hour", "energy_kwh", "avg_power_w", "max_power_w", "cost"]
    list_filter = ["device"]
    list_select_related = ["device"]
    date_hierarchy = "hour"

    def get_queryset(self, request):
        return selectors.hourly_with_costs(super().get_queryset(request))

    @admin.display(description="cost")
    def cost(self, obj):
        return obj.cost  # billing's, for the hour's present energy


@admin.register(DailyRollup)
class DailyRollupAdmin(ReadOnlyAdmin):
    list_display = [
        "device",
        "day",
        "energy_kwh",
        "max_power_w",
        "on_seconds",
        "backfilled",
        "cost",
    ]
    list_filter = ["backfilled", "device"]
    list_select_related = ["device"]
    date_hierarchy = "day"

    def get_queryset(self, request):
        return selectors.daily_with_costs(super().get_queryset(request))

    @admin.display(description="cost")
    def cost(self, obj):
        return obj.cost  # billing's sum of the day


@admin.register(Outage)
class OutageAdmin(ReadOnlyAdmin):
    list_display = ["device", "started_at", "ended_at", "reason"]
    list_filter = ["reason"]
    list_select_related = ["device"]
    date_hierarchy = "started_at"
