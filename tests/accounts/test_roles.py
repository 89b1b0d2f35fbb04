"""The role matrix of device-monitoring-backend.md, in the original's permission names."""

from __future__ import annotations

import pytest

from accounts.permissions import effective_permissions, has_permission
from tests.support import assert_error

pytestmark = pytest.mark.django_db

VIEW = ["devices.view", "rates.view", "costs.view", "alerts.view"]
OPERATE = [
    "devices.discover",
    "devices.edit",
    "devices.control",
    "alerts.acknowledge",
    "rates.edit",
    "data.export",
]
ADMIN_ONLY = [
    "users.view",
    "users.edit",
    "users.remove",
    "devices.remove",
    "rates.delete",
    "system.config",
    "system.backup",
    "system.logs",
    "alerts.delete",
]


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("viewer", VIEW, OPERATE + ADMIN_ONLY),
        ("operator", VIEW + OPERATE, ADMIN_ONLY),
        ("admin", VIEW + OPERATE + ADMIN_ONLY, []),
    ],
)
def test_each_role_gets_exactly_its_permissions(request, role, allowed, refused):
    user = request.getfixturevalue(f"{role}_user")
    assert [p for p in allowed if not has_permission(user, p)] == []
    assert [p for p in refused if has_permission(user, p)] == []


def test_the_roles_are_django_groups(viewer_user, operator_user, admin_user):
    assert [g.name for g in viewer_user.groups.all()] == ["viewer"]
    assert [g.name for g in operator_user.groups.all()] == ["operator"]
    assert effective_permissions(admin_user) == ["all"]


def test_changing_a_role_moves_the_user_to_the_new_group(viewer_user):
    viewer_user.role = "operator"
    viewer_user.save()
    assert [g.name for g in viewer_user.groups.all()] == ["operator"]


@pytest.mark.parametrize("client_name", ["viewer_api", "operator_api"])
def test_security_status_is_for_admins_only(request, client_name):
    client = request.getfixturevalue(client_name)
    body = assert_error(client.get("/api/auth/security-status"), 403, "INSUFFICIENT_PERMISSIONS")
    assert body["required_permission"] == "ADMIN_ACCESS"
    assert body["error"] == "authorization_failed"


def test_security_status_shows_the_jwt_settings(admin_api):
    body = admin_api.get("/api/auth/security-status").json()
    assert body["jwt_configuration"] == {
        "algorithm": "HS256",
        "access_token_expire_minutes": 30,
        "refresh_token_expire_days": 7,
        "previous_keys_accepted": 0,
    }
    assert body["security_features"]["session_management_available"] is True
