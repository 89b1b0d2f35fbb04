"""Admin for rate plans, the grid's carbon intensity, stored hourly costs and re-pricing requests."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from billing import services
from billing.carbon import IntensityError, normalise
from billing.models import GridIntensity, HourlyCost, RatePlan, RepriceRequest
from billing.plans.errors import PlanError
from billing.resources import RatePlanResource
from billing.selectors import load_plan


class RatePlanForm(forms.ModelForm):
    """The same validation as POST /api/rates: the offending field is named on `plan`."""

    class Meta:
        model = RatePlan
        fields = ["effective_from", "plan"]
        help_texts = {
            "plan": "The plan as for POST /api/rates (docs/billing.md). Saving it works out "
            "the costs from its effective moment again."
        }

    def clean(self):
        cleaned = super().clean()
        if "plan" in cleaned:
            try:
                self.normalised = load_plan(cleaned["plan"])
            except PlanError as error:
                self.add_error("plan", f"{error.field}: {error.message}")
        return cleaned


@admin.register(RatePlan)
class RatePlanAdmin(ImportExportModelAdmin):
    form = RatePlanForm
    resource_classes = [RatePlanResource]
    list_display = ["__str__", "rate_type", "currency", "effective_from", "created_by"]
    list_select_related = ["created_by"]
    list_filter = ["rate_type", "currency"]
    search_fields = ["name"]
    date_hierarchy = "effective_from"
    readonly_fields = ["name", "rate_type", "currency", "created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        previous = RatePlan.objects.filter(pk=obj.pk).values_list("effective_from", flat=True)
        services.fill_plan_fields(obj, form.normalised)
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        services.rate_plan_changed(obj, previous_start=previous.first() if change else None)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.rate_plan_changed(obj)

    def delete_queryset(self, request, queryset):
        for obj in list(queryset):
            self.delete_model(request, obj)


@admin.register(HourlyCost)
class HourlyCostAdmin(admin.ModelAdmin):
    list_display = ["hour", "device", "kwh", "cost", "priced_at"]
    list_filter = ["device"]
    date_hierarchy = "hour"
    list_select_related = ["device"]
    readonly_fields = ["device", "hour", "kwh", "cost", "priced_at"]

    def has_add_permission(self, request):
        return False  # costs come from the engine only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RepriceRequest)
class RepriceRequestAdmin(admin.ModelAdmin):
    list_display = ["start", "reason", "created_at"]
    readonly_fields = ["start", "reason", "created_at"]
    actions = ["price_now"]

    @admin.action(description="Work out the pending costs now")
    def price_now(self, request, queryset):
        stored = services.price_pending()
        self.message_user(request, f"Priced {stored} device-hours.")


class GridIntensityForm(forms.ModelForm):
    """The same validation as PUT /api/grid-intensity: the offending field is named."""

    class Meta:
        model = GridIntensity
        fields = ["default_g_per_kwh", "overrides"]

    def clean(self):
        cleaned = super().clean()
        if "default_g_per_kwh" in cleaned and "overrides" in cleaned:
            data = {k: cleaned[k] for k in ("default_g_per_kwh", "overrides")}
            try:
                self.normalised = normalise(data)
            except IntensityError as error:
                name = "default_g_per_kwh" if error.field == "default_g_per_kwh" else "overrides"
                self.add_error(name, f"{error.field}: {error.message}")
        return cleaned


@admin.register(GridIntensity)
class GridIntensityAdmin(admin.ModelAdmin):
    """One row; saving or deleting it works out every stored hour's grams of CO2 again."""

    form = GridIntensityForm
    list_display = ["__str__", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not GridIntensity.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.default_g_per_kwh = form.normalised.default_g_per_kwh
        obj.overrides = list(form.normalised.overrides)
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        services.grid_intensity_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.grid_intensity_changed()

    def delete_queryset(self, request, queryset):
        for obj in list(queryset):
            self.delete_model(request, obj)
