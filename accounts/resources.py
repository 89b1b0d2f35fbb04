"""django-import-export resource for users: export only, and never a secret."""

from __future__ import annotations

from kasamonitor.spreadsheet import FormulaSafeResource

from .models import User


class UserResource(FormulaSafeResource):
    class Meta:
        model = User
        # An allow-list, so a field added later (or the password hash) is never exported.
        fields = (
            "id", "username", "email", "full_name", "role", "is_active",
            "email_verified", "date_joined", "last_login",
        )  # fmt: skip
        export_order = fields
