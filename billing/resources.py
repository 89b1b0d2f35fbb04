"""django-import-export: rate plans, validated row by row exactly like POST /api/rates."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields, widgets

from billing.models import RatePlan
from billing.plans.errors import PlanError
from billing.selectors import EPOCH, load_plan
from billing.services import fill_plan_fields, request_reprice
from kasamonitor.spreadsheet import FormulaSafeResource


class RatePlanResource(FormulaSafeResource):
    plan = fields.Field(attribute="plan", column_name="plan", widget=widgets.JSONWidget())

    class Meta:
        model = RatePlan
        fields = ("id", "name", "effective_from", "rate_type", "currency", "plan")
        export_order = fields
        # rate_type and currency are read from the plan, never from the file
        import_id_fields = ("id",)
        skip_unchanged = True

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.imported = 0

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        try:
            fill_plan_fields(instance, load_plan(instance.plan))
        except PlanError as error:
            raise ValidationError({"plan": f"{error.field}: {error.message}"}) from None
        self.imported += 1

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self.imported and not kwargs.get("dry_run"):
            # imported plans may change any part of the past: price all history again
            request_reprice(EPOCH, "rate plans imported")
