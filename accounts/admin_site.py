"""The Django admin, made OTP-aware: a user with a confirmed 2FA device must give a code.

Admins without 2FA still log in with their password alone (so a fresh install, or an admin
who lost their device and had it removed, can get in). As in the API (accounts.totp), the
code picks its device (digits: the app; otherwise a backup code, checked against its stored
hash), whatever the form's device list says, and a held device says how long to wait.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin import AdminSite
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from . import totp
from .exceptions import TwoFactorThrottled


class KasaAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def clean_otp(self, user):
        if user is not None and not user_has_device(user, confirmed=True):
            return
        super().clean_otp(user)

    def _chosen_device(self, user):
        return totp.device_for(user, self.cleaned_data.get("otp_token") or "")

    def _verify_token(self, user, token, device=None):
        if device is None:  # e.g. a backup-code-like text from a user without backup codes
            raise forms.ValidationError(
                self.otp_error_messages["invalid_token"], code="invalid_token"
            )
        try:
            totp.throttle_check(device)
        except TwoFactorThrottled as exc:
            raise forms.ValidationError(exc.message, code="throttled") from exc
        return super()._verify_token(user, token, device)


class KasaAdminSite(OTPAdminSite):
    login_form = KasaAdminAuthenticationForm

    def has_permission(self, request) -> bool:
        user = request.user
        if not AdminSite.has_permission(self, request):
            return False
        return user.is_verified() or not user_has_device(user, confirmed=True)
