"""Request and response shapes of the accounts API (also drive the OpenAPI schema)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from .permissions import effective_permissions
from .roles import PERMISSIONS, ROLE_CHOICES, SPEC_ALIASES

PERMISSION_CHOICES = sorted([*PERMISSIONS, *SPEC_ALIASES])


# Users ---------------------------------------------------------------------------


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    permissions = serializers.SerializerMethodField()

    def get_permissions(self, user) -> list[str]:
        return effective_permissions(user)


class UserSerializer(UserBriefSerializer):
    full_name = serializers.CharField()
    is_active = serializers.BooleanField()
    email_verified = serializers.BooleanField()
    two_factor_enabled = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="date_joined")
    last_login = serializers.DateTimeField(allow_null=True)

    def get_two_factor_enabled(self, user) -> bool:
        from .totp import is_enabled

        return is_enabled(user)


class UserListSerializer(serializers.Serializer):
    users = UserSerializer(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    pages = serializers.IntegerField()


class UserListQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=200, default=50)
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False, default="", max_length=100)


class UserCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(max_length=128, write_only=True)
    full_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    role = serializers.ChoiceField(choices=ROLE_CHOICES, default="viewer")
    is_active = serializers.BooleanField(default=True)
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=PERMISSION_CHOICES),
        required=False,
        help_text='Permissions granted beyond the role, e.g. ["data.export"].',
    )


class UserUpdateSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150, required=False)
    email = serializers.EmailField(required=False)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    is_active = serializers.BooleanField(required=False)
    password = serializers.CharField(max_length=128, required=False, write_only=True)
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=PERMISSION_CHOICES),
        required=False,
        help_text="Replaces the permissions granted beyond the role.",
    )


# Login and tokens ------------------------------------------------------------------


class SetupSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(max_length=128)
    full_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)


class RegisterSerializer(SetupSerializer):
    name = serializers.CharField(max_length=150, required=False, help_text="Alias of full_name.")


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(required=False, max_length=254, help_text="Username or email.")
    email = serializers.CharField(required=False, max_length=254)
    password = serializers.CharField(max_length=128)

    def validate(self, attrs):
        identifier = attrs.get("username") or attrs.get("email")
        if not identifier:
            raise serializers.ValidationError({"username": ["Give a username or an email."]})
        attrs["identifier"] = identifier
        return attrs


class ChallengeSerializer(serializers.Serializer):
    challenge_token = serializers.CharField(max_length=500)
    code = serializers.CharField(max_length=32, help_text="6-digit TOTP code or a backup code.")


class SessionBriefSerializer(serializers.Serializer):
    session_id = serializers.CharField(source="public_id")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class LoginResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField()
    user = UserBriefSerializer()
    session = SessionBriefSerializer()


class LoginChallengeSerializer(serializers.Serializer):
    requires_2fa = serializers.BooleanField(default=True)
    challenge_token = serializers.CharField()
    expires_in = serializers.IntegerField()
    methods = serializers.ListField(child=serializers.CharField())
    complete_at = serializers.CharField(default="/api/auth/login/2fa")


def login_payload(issued) -> dict:
    user = issued.session.user
    return {
        "access_token": issued.access,
        "refresh_token": str(issued.refresh),
        "token_type": "bearer",
        "expires_in": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        "user": UserBriefSerializer(user).data,
        "session": SessionBriefSerializer(issued.session).data,
    }


def challenge_payload(challenge) -> dict:
    return {
        "requires_2fa": True,
        "challenge_token": challenge.challenge_token,
        "expires_in": settings.TWO_FACTOR_CHALLENGE_SECONDS,
        "methods": ["totp", "backup_code"],
        "complete_at": "/api/auth/login/2fa",
    }


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(
        required=False, help_text="Omit to use the refresh_token cookie (then send X-CSRFToken)."
    )


class SecurityRefreshSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(  # noqa: N815 (spec's name)
        required=False, allow_blank=True, allow_null=True, help_text="else the refresh cookie"
    )


class SecurityTokensSerializer(serializers.Serializer):
    accessToken = serializers.CharField()  # noqa: N815
    refreshToken = serializers.CharField()  # noqa: N815


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class LogoutSerializer(MessageSerializer):
    sessions_terminated = serializers.IntegerField()


# Passwords and email ----------------------------------------------------------------


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField()


class ResetPasswordSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128)
    newPassword = serializers.CharField(max_length=128)  # noqa: N815


class SecurityResetPasswordSerializer(serializers.Serializer):
    email = serializers.EmailField()
    resetToken = serializers.CharField(max_length=128)  # noqa: N815
    newPassword = serializers.CharField(max_length=128)  # noqa: N815
    confirmPassword = serializers.CharField(max_length=128)  # noqa: N815

    def validate(self, attrs):
        if attrs["newPassword"] != attrs["confirmPassword"]:
            raise serializers.ValidationError({"confirmPassword": ["Passwords do not match."]})
        return attrs


class ChangePasswordSerializer(serializers.Serializer):
    currentPassword = serializers.CharField(max_length=128)  # noqa: N815
    newPassword = serializers.CharField(max_length=128)  # noqa: N815


class VerifyEmailSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^\d{6}$")


# Sessions ---------------------------------------------------------------------------


class SessionSerializer(serializers.Serializer):
    session_id = serializers.CharField(source="public_id")
    device_name = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_activity = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    is_current = serializers.SerializerMethodField()

    def get_is_current(self, session) -> bool:
        return session.pk == self.context.get("current")


class SessionListSerializer(serializers.Serializer):
    sessions = SessionSerializer(many=True)
    total = serializers.IntegerField()
    max_allowed = serializers.IntegerField()


class SecuritySessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    deviceName = serializers.CharField(source="device_name")  # noqa: N815
    ipAddress = serializers.IPAddressField(source="ip_address", allow_null=True)  # noqa: N815
    userAgent = serializers.CharField(source="user_agent")  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    lastActivity = serializers.DateTimeField(source="last_activity")  # noqa: N815
    expiresAt = serializers.DateTimeField(source="expires_at")  # noqa: N815
    isCurrent = serializers.SerializerMethodField()  # noqa: N815

    def get_isCurrent(self, session) -> bool:  # noqa: N802
        return session.pk == self.context.get("current")


class RevokeOthersSerializer(serializers.Serializer):
    sessionId = serializers.CharField(  # noqa: N815
        help_text="The id of your current session (the one kept): a UUID or sess_<hex>.",
        error_messages={
            "required": "sessionId is required: the id of your current session.",
            "blank": "sessionId is required: the id of your current session.",
            "null": "sessionId is required: the id of your current session.",
        },
    )


# Two-factor -------------------------------------------------------------------------


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    backup_codes_remaining = serializers.IntegerField()


class TwoFactorSetupSerializer(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_url = serializers.CharField()
    qr_code = serializers.CharField(help_text="PNG image as a data: URL.")
    backup_codes = serializers.ListField(child=serializers.CharField())


class TwoFactorCodeSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=32, help_text="The 6-digit code from the app.")


class TwoFactorDisableSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=32, required=False, help_text="TOTP or backup code.")
    password = serializers.CharField(max_length=128, required=False)


# Misc responses ---------------------------------------------------------------------


def inline_bool(name: str):
    from drf_spectacular.utils import inline_serializer

    return inline_serializer(f"{name.title().replace('_', '')}", {name: serializers.BooleanField()})


class SetupResponseSerializer(MessageSerializer):
    user = UserSerializer()


class RefreshUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()


class RefreshResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    user = RefreshUserSerializer()
    session = SessionBriefSerializer()


def refresh_payload(issued) -> dict:
    payload = login_payload(issued)
    payload["user"] = {"username": issued.session.user.username, "role": issued.session.user.role}
    return payload


class SecurityStatusSerializer(serializers.Serializer):
    jwt_configuration = serializers.DictField()
    security_features = serializers.DictField()
    password_policy = serializers.DictField()
