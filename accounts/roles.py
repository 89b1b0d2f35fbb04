"""Roles and permission names, in the original Kasa Monitor's vocabulary.

Each role is a Django group holding these permissions (codenames on accounts.User), so an
admin can also grant one permission, e.g. "data.export", to a single user.
"""

from __future__ import annotations

ADMIN, OPERATOR, VIEWER = "admin", "operator", "viewer"
ROLE_CHOICES = [(ADMIN, "Admin"), (OPERATOR, "Operator"), (VIEWER, "Viewer")]

PERMISSIONS: dict[str, str] = {
    "devices.view": "View devices and readings",
    "devices.discover": "Discover and add devices",
    "devices.edit": "Edit and poll devices",
    "devices.remove": "Remove devices",
    "devices.control": "Switch devices on and off",
    "rates.view": "View electricity rates",
    "rates.edit": "Edit electricity rates",
    "rates.delete": "Delete electricity rates",
    "costs.view": "View costs",
    "costs.export": "Export costs",
    "data.export": "Export data (DATA_EXPORT)",
    "alerts.view": "View alerts",
    "alerts.acknowledge": "Create and acknowledge alerts",
    "alerts.delete": "Delete alerts",
    "users.view": "View users",
    "users.invite": "Invite users",
    "users.edit": "Edit users",
    "users.remove": "Remove users",
    "users.permissions": "Change roles and permissions",
    "system.config": "Change system configuration",
    "system.logs": "Read system and audit logs",
    "system.logs.clear": "Clear system logs",
    "system.backup": "Create and restore backups",
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADMIN: list(PERMISSIONS),
    OPERATOR: [
        "devices.view",
        "devices.discover",
        "devices.edit",
        "devices.control",
        "rates.view",
        "rates.edit",
        "costs.view",
        "costs.export",
        "data.export",
        "alerts.view",
        "alerts.acknowledge",
    ],
    VIEWER: ["devices.view", "rates.view", "costs.view", "alerts.view"],
}

# The spec's upper-case names for the same permissions.
SPEC_ALIASES = {"DATA_EXPORT": "data.export", "ADMIN_ACCESS": "users.permissions"}
