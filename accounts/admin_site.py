"""The Django admin, made OTP-aware: a user with a confirmed 2FA device must give a code.

Admins without 2FA still log in with their password alone (so a fresh install, or an admin
who lost their device and had it removed, can get in). Backup codes are for the API login;
the admin form checks the authenticator app's code.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class KasaAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def clean_otp(self, user):
        if user is not None and not user_has_device(user, confirmed=True):
            return
        super().clean_otp(user)


class KasaAdminSite(OTPAdminSite):
    login_form = KasaAdminAuthenticationForm

    def has_permission(self, request) -> bool:
        user = request.user
        if not AdminSite.has_permission(self, request):
            return False
        return user.is_verified() or not user_has_device(user, confirmed=True)
