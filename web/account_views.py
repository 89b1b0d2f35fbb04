"""The account page's forms without JavaScript: 2FA, email verification, sessions.

Same services and limits as /api/auth/2fa/*, /api/security/* and /api/auth/sessions/*.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts import ratelimits, sessions, totp, verification
from accounts import serializers as s
from kasamonitor.drf import validated

from .access import page
from .auth_views import account_refused
from .forms import FORM_ERRORS, problem_of
from .views import account_page

# What the disable form's one box holds: an app code or a backup code, else the password
# (static/js/account.js tells them apart the same way).
_CODE = re.compile(r"^[0-9]{6}$|^[A-Z0-9]{5}-?[A-Z0-9]{5}$")


@require_POST
@page()
def two_factor_setup(request):
    try:
        setup = totp.setup(request.user)
    except FORM_ERRORS as exc:
        return account_refused(request, problem_of(exc), "2fa")
    # Rendered, not redirected: the secret and backup codes are shown this once.
    return account_page(request, tfa_setup=setup, no_store=True)


@require_POST
@page()
def two_factor_verify(request):
    try:
        data = validated(s.TwoFactorCodeSerializer, request.POST)
        totp.enable(request.user, data["token"], request=request)
    except FORM_ERRORS as exc:
        return account_refused(request, problem_of(exc), "2fa-verify")
    messages.success(request, "Two-factor authentication is on.")
    return redirect("web:account")


@require_POST
@page()
def two_factor_disable(request):
    proof = request.POST.get("proof", "").strip()
    body = {"token": proof} if _CODE.match(proof) else {"password": proof}
    try:
        data = validated(s.TwoFactorDisableSerializer, body)
        totp.disable(
            request.user, code=data.get("token", ""), password=data.get("password", ""),
            request=request,
        )  # fmt: skip
    except FORM_ERRORS as exc:
        return account_refused(request, problem_of(exc, {"token": "proof", "password": "proof"}),
                               "2fa")  # fmt: skip
    messages.success(request, "Two-factor authentication is off.")
    return redirect("web:account")


@require_POST
@page()
def email_send_code(request):
    try:
        ratelimits.enforce(request, "send_verification", per_user=True)
        verification.send_code(request.user)
    except FORM_ERRORS as exc:
        return account_refused(request, problem_of(exc), "verify")
    messages.success(request, "A 6-digit code is on its way to your email.")
    return redirect("web:account")


@require_POST
@page()
def email_verify(request):
    try:
        ratelimits.enforce(request, "verify_email", per_user=True)
        data = validated(s.VerifyEmailSerializer, request.POST)
        verification.verify_code(request.user, data["code"], request=request)
    except FORM_ERRORS as exc:
        return account_refused(request, problem_of(exc), "verify")
    messages.success(request, "Email verified.")
    return redirect("web:account")


@require_POST
@page()
def session_end(request, session_id: str):
    try:
        sessions.session_end_own(request.user, session_id, request=request)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, "That session is logged out.")
    return redirect("web:account")


@require_POST
@page()
def sessions_end_others(request):
    try:
        keep = sessions.current_session_or_refuse(request, request.POST.get("sessionId", ""))
        count = sessions.session_end_all(
            request.user, reason="revoked_by_user", keep=keep, actor=request.user,
            request=request,
        )  # fmt: skip
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, f"{count} other session(s) logged out.")
    return redirect("web:account")
