"""The closed periods' projection checks (read-only), the appliance run settings and runs."""

from django.contrib import admin

from insights import services
from insights.models import ApplianceRun, ApplianceSettings, ProjectionCheck


@admin.register(ProjectionCheck)
class ProjectionCheckAdmin(admin.ModelAdmin):
    list_display = ("first_day", "last_day", "projected_cost", "actual_cost", "error_percent")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApplianceSettings)
class ApplianceSettingsAdmin(admin.ModelAdmin):
    """Editing here goes through the same service as the API (a change looks again)."""

    list_display = ("device", "kind", "threshold_w", "min_run_minutes", "max_gap_minutes")
    fields = ("device", "kind", "threshold_w", "min_run_minutes", "max_gap_minutes")

    def get_readonly_fields(self, request, obj=None):
        return ("device",) if obj else ()  # another device: delete this row, add one

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.fields[1:]}
        device = obj.device if change else form.cleaned_data["device"]
        saved = services.appliance_settings_save(device=device, data=data, actor=request.user)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.appliance_settings_remove(device=obj.device, actor=request.user)


@admin.register(ApplianceRun)
class ApplianceRunAdmin(admin.ModelAdmin):
    list_display = ("device", "start", "end", "kwh")
    list_filter = ("device",)
    exclude = ("profile",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
