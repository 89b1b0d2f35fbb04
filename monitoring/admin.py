"""Admin for alerts, alert rules, notification channels, cameras and network hosts."""

from django import forms
from django.contrib import admin, messages

from . import alerts, cameras, hosts, notify, services
from .models import Alert, AlertRule, Camera, MonthlyReport, NetworkHost, NotificationChannel


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "severity", "message", "device", "camera", "host", "rule",
                    "acknowledged", "resolved_at"]  # fmt: skip
    list_filter = ["severity", "acknowledged", ("resolved_at", admin.EmptyFieldListFilter),
                   "rule__kind"]  # fmt: skip
    search_fields = ["message", "device__alias", "camera__name", "host__name"]
    date_hierarchy = "created_at"
    list_select_related = ["device", "camera", "host", "rule"]
    raw_id_fields = ["device"]
    readonly_fields = ["key", "rule", "created_at", "created_by", "acknowledged",
                       "acknowledged_at", "acknowledged_by", "resolved_at", "details"]  # fmt: skip
    actions = ["acknowledge"]

    @admin.action(description="Acknowledge selected alerts", permissions=["change"])
    def acknowledge(self, request, queryset):
        for alert in queryset.filter(acknowledged=False):
            alerts.alert_acknowledge(alert, actor=request.user)
        self.message_user(request, "Alerts acknowledged.", messages.SUCCESS)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "device", "camera", "host", "threshold",
                    "duration_minutes", "severity", "enabled"]  # fmt: skip
    list_filter = ["kind", "severity", "enabled"]
    search_fields = ["name", "device__alias", "camera__name", "host__name"]
    list_select_related = ["device", "camera", "host"]
    raw_id_fields = ["device"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        services.rule_save(obj, actor=request.user, data={})

    def delete_model(self, request, obj):
        services.rule_delete(obj, actor=request.user)


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "min_severity", "enabled", "daily_summary",
                    "monthly_report", "last_sent_at", "last_error"]  # fmt: skip
    list_filter = ["kind", "min_severity", "enabled"]
    search_fields = ["name", "target"]
    readonly_fields = ["last_sent_at", "last_error", "created_at"]
    actions = ["send_test"]

    @admin.action(description="Send a test notification")
    def send_test(self, request, queryset):
        for channel in queryset:
            error = notify.channel_test_safe(channel)
            if error:
                self.message_user(request, f"{channel}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{channel}: test sent.", messages.SUCCESS)


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    """Which closed billing periods were reported to which channel (kept: one per period)."""

    list_display = ["first_day", "last_day", "channel", "created_at", "sent_at"]
    list_filter = ["channel"]
    list_select_related = ["channel"]
    readonly_fields = ["channel", "period_start", "first_day", "last_day", "created_at", "sent_at"]

    def has_add_permission(self, request) -> bool:
        return False


class CameraForm(forms.ModelForm):
    """The password is write-only: an empty field keeps the stored one."""

    snapshot_url = forms.URLField(required=False, assume_scheme="http", max_length=500)
    new_password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Leave empty to keep the current one."
    )

    class Meta:
        model = Camera
        fields = ["name", "ip_address", "rtsp_url", "username", "location", "snapshot_url",
                  "enabled"]  # fmt: skip


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraForm
    list_display = ["name", "ip_address", "location", "status", "auth_required", "last_seen",
                    "enabled"]  # fmt: skip
    list_filter = ["status", "enabled", "auth_required"]
    search_fields = ["name", "ip_address", "location"]
    readonly_fields = ["status", "auth_required", "last_seen", "last_checked_at", "last_error",
                       "last_snapshot", "created_at", "updated_at"]  # fmt: skip
    actions = ["test_now"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in CameraForm.Meta.fields}
        if form.cleaned_data.get("new_password"):
            data["password"] = form.cleaned_data["new_password"]
        cameras.camera_save(obj, actor=request.user, data=data)

    @admin.action(description="Test the RTSP connection now", permissions=["change"])
    def test_now(self, request, queryset):
        for camera in queryset:
            result = cameras.camera_test(camera)
            self.message_user(request, f"{camera}: {result['status']} ({result['detail']})")


@admin.register(NetworkHost)
class NetworkHostAdmin(admin.ModelAdmin):
    list_display = ["name", "ip_address", "port", "device_type", "vendor", "status",
                    "latency_ms", "last_seen", "enabled"]  # fmt: skip
    list_filter = ["status", "device_type", "vendor", "enabled"]
    search_fields = ["name", "ip_address", "vendor"]
    readonly_fields = ["status", "last_seen", "last_checked_at", "latency_ms", "last_error",
                       "created_at", "updated_at"]  # fmt: skip
    actions = ["check_now"]

    @admin.action(description="Check now", permissions=["change"])
    def check_now(self, request, queryset):
        for host in queryset:
            result = hosts.host_check(host)
            self.message_user(request, f"{host}: {result['status']} ({result['detail']})")
