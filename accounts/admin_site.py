"""The Django admin, made OTP-aware and held to the API login's limits.

A user with 2FA gives a code from the authenticator app (or a backup code) on the login
form itself; users without 2FA log in with their password alone (so a fresh install, or an
admin who lost their device and had it removed, can get in). A wrong password, a missing
or wrong code and a non-admin account all get the same answer, so the form never tells
whether the password was right. The per-IP login limit and the per-account back-off of
/api/auth/login (accounts.ratelimits) count here too, and so does the admin's own
password change; past them the page answers 429 with Retry-After.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import PasswordChangeView
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django_otp import user_has_device
from django_otp.admin import OTPAdminSite

from kasamonitor.errors import RateLimited

from . import passwords, ratelimits, sessions, totp
from .errors import InvalidCredentials, TwoFactorThrottled

# One answer for every failure, a held 2FA device included: telling "wait" apart from
# "wrong" would tell that the password was right (the API can say it: its code step comes
# after the password step).
INVALID_LOGIN = (
    "Please enter the correct %(username)s and password of an admin account, and the "
    "two-factor code if the account uses one. Note that both fields may be case-sensitive. "
    "After a wrong two-factor code, wait a minute before the next one."
)


class KasaAdminAuthenticationForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        required=False,
        max_length=16,
        label="Two-factor code",
        help_text="Only if two-factor authentication is on for your account: a code from "
        "your authenticator app or a backup code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    error_messages = {**AdminAuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return self.cleaned_data  # the fields' own "required" errors
        account = ratelimits.account_key(username)
        ratelimits.password_guard(self.request, account)  # RateLimited: KasaAdminSite answers 429
        user = authenticate(self.request, username=username, password=password)
        verified = user is not None and user.is_staff and self._second_factor(user)
        if not ratelimits.password_checked(account, verified):
            if user is not None:  # Django reported only a wrong password; audit this one too
                user_login_failed.send(
                    sender=__name__, credentials={"username": username}, request=self.request
                )
            raise self.get_invalid_login_error()
        self.user_cache = user
        return self.cleaned_data

    def _second_factor(self, user) -> bool:
        if not totp.is_enabled(user):
            return True
        code = self.cleaned_data.get("otp_token") or ""
        try:
            device = totp.verify_code(user, code) if code else None  # "" would count as a miss
        except TwoFactorThrottled:
            return False
        if device is None:
            return False
        user.otp_device = device  # django_otp marks the session verified at login
        return True


class KasaAdminPasswordChangeForm(AdminPasswordChangeForm):
    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        try:
            passwords.current_password_check(self.user, old_password, request=self.request)
        except InvalidCredentials:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            ) from None
        return old_password

    def save(self, commit=True):
        # As on the API, in one transaction: the new password, and every other session of
        # the user ended (this console session stays). Never the one without the other.
        with transaction.atomic():
            user = super().save(commit)
            current = sessions.console_session(self.request)
            passwords.password_changed(
                user, keep_session=current.pk if current else None, request=self.request
            )
        return user


class _PasswordChangeView(PasswordChangeView):
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class KasaAdminSite(OTPAdminSite):
    login_form = KasaAdminAuthenticationForm
    login_template = "accounts/admin_login.html"

    def has_permission(self, request) -> bool:
        user = request.user
        if not AdminSite.has_permission(self, request):
            return False
        return user.is_verified() or not user_has_device(user, confirmed=True)

    def login(self, request, extra_context=None):
        try:
            return super().login(request, extra_context)
        except RateLimited as exc:
            return self._refused(request, exc)

    def password_change(self, request, extra_context=None):
        # AdminSite.password_change with our form, which also needs the request (IP limit).
        view = _PasswordChangeView.as_view(
            form_class=KasaAdminPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )
        request.current_app = self.name
        try:
            return view(request)
        except RateLimited as exc:
            return self._refused(request, exc)

    def _refused(self, request, exc: RateLimited):
        retry_after = exc.context["retry_after"]
        context = {
            **self.each_context(request),
            "title": "Too many attempts",
            "refused": f"{exc.message} Try again in {retry_after} seconds.",
        }
        response = TemplateResponse(request, "accounts/admin_refused.html", context, status=429)
        response["Retry-After"] = str(retry_after)
        return response
