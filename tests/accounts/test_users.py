from __future__ import annotations

import pytest

from accounts.permissions import has_permission
from security.models import AuditLog
from tests.factories import UserFactory
from tests.support import assert_error

pytestmark = pytest.mark.django_db
NEW_USER = {
    "username": "dave",
    "email": "dave@example.com",
    "password": "Str0ng!Pass-9",
    "full_name": "Dave",
    "role": "operator",
}


@pytest.mark.parametrize("prefix", ["/api/users", "/api/auth/users"])
def test_admins_create_get_update_and_delete_users(admin_api, prefix):
    created = admin_api.post(prefix, NEW_USER, format="json")
    assert created.status_code == 201
    user = created.json()
    assert user["role"] == "operator" and "password" not in user
    url = f"{prefix}/{user['id']}"
    assert admin_api.get(url).json()["email"] == "dave@example.com"
    patched = admin_api.patch(url, {"full_name": "David", "role": "viewer"}, format="json")
    assert patched.json()["full_name"] == "David" and patched.json()["role"] == "viewer"
    put = admin_api.put(url, {"email": "david@example.com"}, format="json")
    assert put.json()["email"] == "david@example.com"
    assert admin_api.delete(url).status_code == 200
    assert_error(admin_api.get(url), 404, "NOT_FOUND")
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"user_created", "user_updated", "role_changed", "user_deleted"} <= actions


def test_user_list_paginates_and_filters(admin_api, admin_user):
    for n in range(3):
        UserFactory(username=f"op{n}", role="operator")
    UserFactory(username="idle", role="viewer", is_active=False)
    page = admin_api.get("/api/users", {"per_page": 2, "page": 2}).json()
    assert page["total"] == 5 and page["pages"] == 3 and len(page["users"]) == 2
    ops = admin_api.get("/api/users", {"role": "operator"}).json()
    assert {u["username"] for u in ops["users"]} == {"op0", "op1", "op2"}
    idle = admin_api.get("/api/users", {"active": "false"}).json()
    assert [u["username"] for u in idle["users"]] == ["idle"]
    found = admin_api.get("/api/auth/users", {"search": "OP1"}).json()
    assert [u["username"] for u in found["users"]] == ["op1"]
    assert_error(admin_api.get("/api/users", {"role": "king"}), 400, "VALIDATION_ERROR")


def test_creating_a_user_enforces_the_policy_and_uniqueness(admin_api, viewer_user):
    weak = admin_api.post("/api/users", {**NEW_USER, "password": "password"}, format="json")
    assert_error(weak, 400, "PASSWORD_WEAK")
    taken = admin_api.post("/api/users", {**NEW_USER, "username": "charlie"}, format="json")
    assert_error(taken, 409, "CONFLICT")


def test_the_last_admin_cannot_be_deleted_demoted_or_disabled(admin_api, admin_user):
    url = f"/api/users/{admin_user.pk}"
    assert_error(admin_api.delete(url), 409, "LAST_ADMIN")
    assert_error(admin_api.patch(url, {"role": "viewer"}, format="json"), 409, "LAST_ADMIN")
    assert_error(admin_api.patch(url, {"is_active": False}, format="json"), 409, "LAST_ADMIN")
    UserFactory(username="second", role="admin")
    assert admin_api.patch(url, {"role": "operator"}, format="json").status_code == 200


def test_an_admin_grants_one_permission_to_one_user(admin_api, viewer_user):
    assert not has_permission(viewer_user, "DATA_EXPORT")
    response = admin_api.patch(
        f"/api/users/{viewer_user.pk}", {"permissions": ["DATA_EXPORT"]}, format="json"
    )
    assert "data.export" in response.json()["permissions"]
    fresh = type(viewer_user).objects.get(pk=viewer_user.pk)  # no cached permissions
    assert has_permission(fresh, "DATA_EXPORT")
    unknown = admin_api.patch(
        f"/api/users/{viewer_user.pk}", {"permissions": ["fly"]}, format="json"
    )
    assert_error(unknown, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("client_name", ["viewer_api", "operator_api"])
def test_non_admins_get_403_naming_the_permission(request, client_name, admin_user):
    client = request.getfixturevalue(client_name)
    body = assert_error(client.get("/api/users"), 403, "INSUFFICIENT_PERMISSIONS")
    assert body["required_permission"] == "users.view"
    body = assert_error(
        client.post("/api/users", NEW_USER, format="json"), 403, "INSUFFICIENT_PERMISSIONS"
    )
    assert body["required_permission"] == "users.invite"
    deleted = client.delete(f"/api/users/{admin_user.pk}")
    assert assert_error(deleted, 403, "INSUFFICIENT_PERMISSIONS")["required_permission"] == (
        "users.remove"
    )


def test_an_admin_with_only_users_edit_cannot_change_roles(api_client, viewer_user):
    from django.contrib.auth.models import Permission

    from tests.support import api_client_for

    editor = UserFactory(username="editor", role="operator")
    editor.user_permissions.add(Permission.objects.get(codename="users.edit"))
    client = api_client_for(editor)
    url = f"/api/users/{viewer_user.pk}"
    assert client.patch(url, {"full_name": "C"}, format="json").status_code == 200
    body = assert_error(
        client.patch(url, {"role": "admin"}, format="json"), 403, "INSUFFICIENT_PERMISSIONS"
    )
    assert body["required_permission"] == "users.permissions"


def test_users_need_authentication(api_client):
    assert_error(api_client.get("/api/users"), 401, "AUTH_REQUIRED")


# -- delegated administration never escalates ------------------------------------------------


def _delegate(*codenames: str, role: str = "viewer"):
    from django.contrib.auth.models import Permission

    from tests.support import api_client_for

    user = UserFactory(username=f"delegate-{role}", role=role)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return api_client_for(user)


def test_inviting_alone_only_creates_viewers(admin_user):
    inviter = _delegate("users.invite")
    for role in ("admin", "operator"):
        refused = inviter.post("/api/users", {**NEW_USER, "role": role}, format="json")
        body = assert_error(refused, 403, "INSUFFICIENT_PERMISSIONS")
        assert body["required_permission"] == "users.permissions"
    assert not type(admin_user).objects.filter(username="dave").exists()
    viewer = inviter.post("/api/users", {**NEW_USER, "role": "viewer"}, format="json")
    assert viewer.status_code == 201 and viewer.json()["role"] == "viewer"


def test_editing_alone_cannot_touch_an_admins_password_or_email(admin_user, password):
    editor = _delegate("users.edit")
    url = f"/api/users/{admin_user.pk}"
    for change in ({"password": "Takeover!Passw0rd"}, {"email": "mine@example.com"}):
        assert_error(editor.patch(url, change, format="json"), 403, "INSUFFICIENT_PERMISSIONS")
    admin_user.refresh_from_db()
    assert admin_user.check_password(password) and admin_user.email == "alice@example.com"


def test_removing_alone_cannot_delete_an_admin(admin_user):
    UserFactory(username="second", role="admin")  # so LAST_ADMIN is not what stops it
    remover = _delegate("users.remove")
    refused = remover.delete(f"/api/users/{admin_user.pk}")
    assert_error(refused, 403, "INSUFFICIENT_PERMISSIONS")
    assert type(admin_user).objects.filter(pk=admin_user.pk).exists()


def test_only_admins_act_on_admins_even_with_users_permissions(admin_user, operator_user):
    manager = _delegate(
        "users.invite", "users.edit", "users.remove", "users.permissions", role="operator"
    )
    made = manager.post("/api/users", {**NEW_USER, "role": "admin"}, format="json")
    assert assert_error(made, 403, "INSUFFICIENT_PERMISSIONS")["required_permission"] == (
        "ADMIN_ACCESS"
    )
    promoted = manager.patch(f"/api/users/{operator_user.pk}", {"role": "admin"}, format="json")
    assert_error(promoted, 403, "INSUFFICIENT_PERMISSIONS")
    assert_error(manager.delete(f"/api/users/{admin_user.pk}"), 403, "INSUFFICIENT_PERMISSIONS")
    # Operators and viewers are theirs to manage...
    assert manager.post("/api/users", NEW_USER, format="json").status_code == 201
    # ...but not with permissions they do not hold themselves.
    granted = manager.patch(
        f"/api/users/{operator_user.pk}", {"permissions": ["system.backup"]}, format="json"
    )
    assert assert_error(granted, 403, "INSUFFICIENT_PERMISSIONS")["required_permission"] == (
        "system.backup"
    )


def test_a_viewer_with_extra_grants_is_not_an_easy_takeover(viewer_user):
    from django.contrib.auth.models import Permission

    viewer_user.user_permissions.add(Permission.objects.get(codename="system.backup"))
    editor = _delegate("users.edit")
    changed = editor.patch(
        f"/api/users/{viewer_user.pk}", {"password": "Takeover!Passw0rd"}, format="json"
    )
    assert_error(changed, 403, "INSUFFICIENT_PERMISSIONS")
