"""django-import-export: the audit log can be exported (never imported)."""

from __future__ import annotations

from import_export import fields

from kasamonitor.spreadsheet import FormulaSafeResource

from .models import AuditLog


class AuditLogResource(FormulaSafeResource):
    actor = fields.Field(attribute="actor_username", column_name="actor")

    class Meta:
        model = AuditLog
        fields = ("id", "created_at", "actor", "action", "severity", "outcome", "target_type",
                  "target_id", "target_repr", "ip_address", "user_agent", "details")  # fmt: skip
        export_order = fields
