"""The closed periods' projection checks, read-only in the admin."""

from django.contrib import admin

from insights.models import ProjectionCheck


@admin.register(ProjectionCheck)
class ProjectionCheckAdmin(admin.ModelAdmin):
    list_display = ("first_day", "last_day", "projected_cost", "actual_cost", "error_percent")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
