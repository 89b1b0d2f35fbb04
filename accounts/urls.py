"""The accounts API's routes: /api/auth/*, /api/users*, the sessions and 2FA endpoints."""

from django.urls import path

from .api import auth, passwords, sessions, twofactor, users

urlpatterns = [
    # First run, registration, login
    path("api/auth/setup-required", auth.SetupRequiredApi.as_view(), name="auth-setup-required"),
    path("api/auth/setup", auth.SetupApi.as_view(), name="auth-setup"),
    path("api/auth/register", auth.RegisterApi.as_view(), name="auth-register"),
    path("api/auth/login", auth.LoginApi.as_view(), name="auth-login"),
    path("api/auth/login/2fa", auth.LoginChallengeApi.as_view(), name="auth-login-2fa"),
    path("api/auth/refresh", auth.RefreshApi.as_view(), name="auth-refresh"),
    path("api/auth/logout", auth.LogoutApi.as_view(), name="auth-logout"),
    path("api/auth/me", auth.MeApi.as_view(), name="auth-me"),
    path("api/auth/profile", auth.MeApi.as_view(), name="auth-profile"),
    path("api/users/me", auth.MeApi.as_view(), name="users-me"),
    path("api/auth/security-status", auth.SecurityStatusApi.as_view(), name="auth-security"),
    # Passwords
    path("api/auth/forgot-password", passwords.ForgotPasswordApi.as_view(), name="auth-forgot"),
    path("api/auth/reset-password", passwords.ResetPasswordApi.as_view(), name="auth-reset"),
    path("api/auth/change-password", passwords.ChangePasswordApi.as_view(), name="auth-change"),
    # Sessions
    path("api/auth/sessions", sessions.SessionListApi.as_view(), name="auth-sessions"),
    path(
        "api/auth/sessions/<str:session_id>",
        sessions.SessionDetailApi.as_view(),
        name="auth-session",
    ),
    # Two-factor
    path("api/auth/2fa/status", twofactor.TwoFactorStatusApi.as_view(), name="2fa-status"),
    path("api/auth/2fa/setup", twofactor.TwoFactorSetupApi.as_view(), name="2fa-setup"),
    path("api/auth/2fa/verify", twofactor.TwoFactorVerifyApi.as_view(), name="2fa-verify"),
    path("api/auth/2fa/disable", twofactor.TwoFactorDisableApi.as_view(), name="2fa-disable"),
    # Users: the same resource under both prefixes
    path("api/users", users.UserListApi.as_view(), name="users"),
    path("api/users/<int:pk>", users.UserDetailApi.as_view(), name="user"),
    path("api/auth/users", users.UserListApi.as_view(), name="auth-users"),
    path("api/auth/users/<int:pk>", users.UserDetailApi.as_view(), name="auth-user"),
    # security-api.md
    path(
        "api/security/send-verification-code",
        passwords.SendVerificationCodeApi.as_view(),
        name="security-send-code",
    ),
    path("api/security/verify-email", passwords.VerifyEmailApi.as_view(), name="security-verify"),
    path(
        "api/security/request-password-reset",
        passwords.SecurityRequestResetApi.as_view(),
        name="security-request-reset",
    ),
    path(
        "api/security/reset-password",
        passwords.SecurityResetPasswordApi.as_view(),
        name="security-reset",
    ),
    path("api/security/refresh-token", auth.SecurityRefreshApi.as_view(), name="security-refresh"),
    path("api/security/logout", auth.SecurityLogoutApi.as_view(), name="security-logout"),
    path(
        "api/security/sessions/revoke-others",
        sessions.RevokeOthersApi.as_view(),
        name="security-revoke-others",
    ),
    path(
        "api/security/sessions", sessions.SecuritySessionListApi.as_view(), name="security-sessions"
    ),
    path(
        "api/security/sessions/<str:session_id>",
        sessions.SecuritySessionDetailApi.as_view(),
        name="security-session",
    ),
]
