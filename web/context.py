"""What every page's layout needs: the navigation and what the user may do."""

from __future__ import annotations

from accounts.permissions import has_permission
from accounts.roles import ADMIN

# (url name, label, permission or "admin")
NAV = [
    ("web:dashboard", "Dashboard", "devices.view"),
    ("web:costs", "Costs", "costs.view"),
    ("web:rates", "Rates", "rates.view"),
    ("web:exports", "Exports", "data.export"),
    ("web:alerts", "Alerts", "alerts.view"),
    ("web:backups", "Backups", "admin"),
    ("web:users", "Users", "admin"),
    ("web:account", "Account", None),
]

ABILITIES = {
    "control": "devices.control",
    "discover": "devices.discover",
    "edit_devices": "devices.edit",
    "remove_devices": "devices.remove",
    "edit_rates": "rates.edit",
    "export": "data.export",
    "view_costs": "costs.view",
    "acknowledge": "alerts.acknowledge",
    "delete_alerts": "alerts.delete",
}


def allowed(user, need: str | None) -> bool:
    if need is None:
        return bool(user and user.is_authenticated)
    if need == "admin":
        return bool(user and user.is_authenticated and user.role == ADMIN)
    return has_permission(user, need)


def abilities(user) -> dict[str, bool]:
    """Return {"control": True, ...}: what the templates may offer this user."""
    can = {name: has_permission(user, perm) for name, perm in ABILITIES.items()}
    can["admin"] = allowed(user, "admin")
    return can


def layout(request, current: str = "") -> dict:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav": [], "can": {}}
    nav = [
        {"name": name, "label": label, "current": name == current}
        for name, label, need in NAV
        if allowed(user, need)
    ]
    return {"nav": nav, "can": abilities(user)}
