"""Admin for rate plans, stored hourly costs and re-pricing requests."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from billing import services
from billing.models import HourlyCost, RatePlan, RepriceRequest
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
