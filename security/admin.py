"""Admin for the audit log (read-only)."""

from __future__ import annotations

from django.contrib import admin
from import_export.admin import ExportMixin

from .models import AuditLog
from .resources import AuditLogResource


@admin.register(AuditLog)
class AuditLogAdmin(ExportMixin, admin.ModelAdmin):
    """Read-only: entries are never added, changed or deleted here; export is allowed."""

    resource_classes = [AuditLogResource]
    list_display = ("created_at", "actor_username", "action", "severity", "outcome",
                    "target_type", "target_id", "ip_address")  # fmt: skip
    list_filter = ("severity", "outcome", "action", "target_type", "created_at")
    search_fields = ("action", "actor_username", "target_id", "target_repr", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
