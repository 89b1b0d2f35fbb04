"""The operator console for users and login sessions; actions call the API's services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from import_export.admin import ExportMixin

from kasamonitor.errors import ApiError

from . import passwords, sessions, users
from .errors import LastAdmin
from .models import LoginSession, User
from .resources import UserResource
from .roles import ADMIN


class KasaUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean(self):
        data = super().clean()
        user = self.instance  # not yet changed: the form applies the data after clean()
        stays_admin = data.get("role", user.role) == ADMIN and data.get("is_active", True)
        if user.pk and user.role == ADMIN and user.is_active and not stays_admin:
            # Inside the change view's transaction: the admins' rows stay locked until saved.
            try:
                users.ensure_another_admin(user)
            except LastAdmin as exc:
                raise forms.ValidationError(exc.message, code="last_admin") from None
        return data


class KasaUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")


@admin.register(User)
class UserAdmin(ExportMixin, DjangoUserAdmin):
    resource_classes = [UserResource]
    form = KasaUserChangeForm
    add_form = KasaUserCreationForm
    list_display = (
        "username",
        "email",
        "full_name",
        "role",
        "is_active",
        "email_verified",
        "last_login",
        "date_joined",
    )
    list_filter = ("role", "is_active", "email_verified")
    search_fields = ("username", "email", "full_name")
    ordering = ("username",)
    date_hierarchy = "date_joined"
    readonly_fields = ("last_login", "date_joined", "is_staff", "is_superuser")
    filter_horizontal = ("user_permissions",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("full_name", "email", "email_verified")}),
        (
            "Access",
            {
                "fields": ("role", "is_active", "user_permissions", "is_staff", "is_superuser"),
                "description": "The role decides the group. Add single permissions "
                "(e.g. data.export) for one user under user permissions.",
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "role", "password1", "password2"),
            },
        ),
    )
    actions = ["revoke_sessions", "force_password_reset", "enable_users", "disable_users"]

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.role == ADMIN and obj.is_active and _last_admin(obj):
            return False  # no delete button, and the delete page refuses
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj) -> None:
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset) -> None:
        # One by one through the service: audited, and the last admin is kept.
        for user in list(queryset):
            try:
                users.user_delete(actor=request.user, user=user, request=request)
            except ApiError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)

    @admin.action(description="End all sessions of the selected users")
    def revoke_sessions(self, request, queryset):
        count = sum(
            sessions.session_end_all(
                u, reason="revoked_by_admin", actor=request.user, request=request
            )
            for u in queryset
        )
        self.message_user(request, f"Ended {count} session(s).")

    @admin.action(description="Force a password reset (mails a reset link)")
    def force_password_reset(self, request, queryset):
        for user in queryset:
            passwords.reset_send(user)
            sessions.session_end_all(
                user, reason="reset_forced", actor=request.user, request=request
            )
        self.message_user(request, f"Sent {queryset.count()} reset link(s).")

    def _set_active(self, request, queryset, active: bool) -> None:
        for user in queryset:
            try:
                users.user_set_active(actor=request.user, user=user, active=active, request=request)
            except ApiError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)

    @admin.action(description="Enable the selected users")
    def enable_users(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Disable the selected users (ends their sessions)")
    def disable_users(self, request, queryset):
        self._set_active(request, queryset, False)


def _last_admin(user: User) -> bool:
    return not User.objects.filter(role=ADMIN, is_active=True).exclude(pk=user.pk).exists()


@admin.register(LoginSession)
class LoginSessionAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "device_name",
        "ip_address",
        "created_at",
        "last_activity",
        "expires_at",
        "revoked_at",
        "revoked_reason",
    )
    list_filter = ("revoked_reason", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__email", "ip_address", "device_name")
    date_hierarchy = "created_at"
    exclude = ("refresh_jti",)
    readonly_fields = (
        "user",
        "device_name",
        "ip_address",
        "user_agent",
        "created_at",
        "last_activity",
        "expires_at",
        "revoked_at",
        "revoked_reason",
    )
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected sessions")
    def revoke(self, request, queryset):
        count = sum(
            sessions.session_end(s, reason="revoked_by_admin", actor=request.user, request=request)
            for s in queryset.select_related("user")
        )
        self.message_user(request, f"Revoked {count} session(s).")
