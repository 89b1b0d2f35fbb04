"""Signing in and out without JavaScript: the pages' forms post here.

Each view validates with the API's serializer and acts through accounts' services, so the
login limits, the per-account back-off, the 2FA challenge and the audit entries are the
API's. Success logs in with the same cookies as /api/auth/login and redirects (post,
redirect, get); a refusal re-renders the form with the message at the field it names.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import passwords, ratelimits, services, sessions
from accounts import serializers as s
from accounts.cookies import clear_auth_cookies, set_auth_cookies
from accounts.errors import InvalidChallenge
from kasamonitor.drf import validated

from .access import page, public
from .forms import FORM_ERRORS, problem_of, values
from .render import render_page

RESET_COOKIE = "reset_token"
RESET_PATH = "/reset-password"


def next_url(request) -> str:
    """The local page to go to after logging in (?next=, or the form's "next"), else /."""
    target = request.POST.get("next") or request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if safe and target.startswith("/") and not target.startswith("//") else "/"


def _logged_in(request, issued, to: str):
    response = redirect(to)
    set_auth_cookies(response, request, issued)
    return response


def _differ(request, first: str, second: str) -> bool:
    return request.POST.get(first, "") != request.POST.get(second, "")


# -- first run ---------------------------------------------------------------------------


@public
def setup(request):
    if not services.setup_required():
        return redirect("web:login")
    if request.method != "POST":
        return render_page(request, "web/setup.html")
    form = values(request, "password", "password2")
    if _differ(request, "password", "password2"):
        return _refused(request, "web/setup.html", _mismatch("password2"), form=form)
    try:
        data = validated(s.SetupSerializer, request.POST)
        services.setup_first_admin(**data, request=request)
        issued = services.login(
            identifier=data["username"], password=data["password"], request=request
        )
    except FORM_ERRORS as exc:
        return _refused(request, "web/setup.html", problem_of(exc), form=form)
    return _logged_in(request, issued, "/")


def _mismatch(field: str):
    from .forms import Problem

    return Problem("The two passwords are not the same.", 400, {field: "Not the same."})


def _refused(request, template: str, problem, **context):
    return render_page(request, template, problem=problem, status=problem.status, **context)


# -- login, the 2FA step, logout -----------------------------------------------------------


@public
def login(request):
    if services.setup_required():
        return redirect("web:setup")
    if request.method != "POST":
        if request.user.is_authenticated:
            return redirect(next_url(request))
        return render_page(request, "web/login.html", next_url=next_url(request))
    context = {"next_url": next_url(request), "form": values(request, "password")}
    try:
        data = validated(s.LoginSerializer, request.POST)
        result = services.login(
            identifier=data["identifier"], password=data["password"], request=request
        )
    except FORM_ERRORS as exc:
        return _refused(request, "web/login.html", problem_of(exc), **context)
    if isinstance(result, services.LoginChallenge):
        # The signed challenge goes back in the code form's body, never in a URL.
        return render_page(
            request, "web/login.html", step="code", challenge=result.challenge_token, **context
        )
    return _logged_in(request, result, context["next_url"])


@public
@require_POST
def login_code(request):
    challenge = request.POST.get("challenge_token", "")
    context = {"next_url": next_url(request), "step": "code", "challenge": challenge}
    try:
        data = validated(s.ChallengeSerializer, request.POST)
        issued = services.login_with_challenge(
            challenge_token=data["challenge_token"], code=data["code"], request=request
        )
    except InvalidChallenge as exc:  # expired or used up: back to the password step
        context["step"] = "password"
        return _refused(request, "web/login.html", problem_of(exc), **context)
    except FORM_ERRORS as exc:
        return _refused(request, "web/login.html", problem_of(exc), **context)
    return _logged_in(request, issued, context["next_url"])


@require_POST
@page()
def logout(request):
    services.logout(request)
    response = redirect("web:login")
    clear_auth_cookies(response)
    return response


# -- passwords -------------------------------------------------------------------------------

RESET_SENT = "If an account exists with this email, a reset link is on its way."


@public
def forgot_password(request):
    if request.method != "POST":
        return render_page(request, "web/forgot_password.html")
    form = values(request)
    try:
        ratelimits.enforce(request, "password_reset")
        email = validated(s.EmailSerializer, request.POST)["email"]
        passwords.reset_request_queue(email, request=request)
    except FORM_ERRORS as exc:
        return _refused(request, "web/forgot_password.html", problem_of(exc), form=form)
    messages.success(request, RESET_SENT)
    return redirect("web:forgot-password")


@public
def reset_password(request):
    """The mailed link /reset-password?token=... moves the token into an HTTP-only cookie
    and redirects to the bare URL, so the token leaves the address bar, the history and
    the Referer of anything the page loads (as Django's PasswordResetConfirmView does)."""
    if "token" in request.GET:
        response = redirect(RESET_PATH)
        response.set_signed_cookie(
            RESET_COOKIE, request.GET["token"], salt=RESET_COOKIE, max_age=30 * 60,
            path=RESET_PATH, httponly=True, samesite="Lax", secure=request.is_secure(),
        )  # fmt: skip
        return response
    token = request.get_signed_cookie(RESET_COOKIE, "", salt=RESET_COOKIE, max_age=30 * 60)
    if request.method != "POST":
        return render_page(request, "web/reset_password.html", has_token=bool(token))
    problem = _reset(request, token)
    if problem is not None:
        return _refused(request, "web/reset_password.html", problem, has_token=bool(token))
    messages.success(request, "Your password has been reset. Log in with the new one.")
    response = redirect("web:login")
    response.delete_cookie(RESET_COOKIE, path=RESET_PATH)
    return response


def _reset(request, token: str):
    if _differ(request, "password", "password2"):
        return _mismatch("password2")
    try:
        ratelimits.enforce(request, "password_reset_confirm")
        body = {"token": token, "newPassword": request.POST.get("password", "")}
        data = validated(s.ResetPasswordSerializer, body)
        passwords.reset_confirm(
            token=data["token"], new_password=data["newPassword"], request=request
        )
    except FORM_ERRORS as exc:
        return problem_of(exc, {"newPassword": "password"})
    return None


@require_POST
@page()
def change_password(request):
    if _differ(request, "newPassword", "newPassword2"):
        return account_refused(request, _mismatch("newPassword2"))
    try:
        data = validated(s.ChangePasswordSerializer, request.POST)
        passwords.password_change(
            request.user,
            current=data["currentPassword"],
            new=data["newPassword"],
            keep_session=sessions.current_session_id(request),
            request=request,
        )
    except FORM_ERRORS as exc:
        return account_refused(request, problem_of(exc))
    messages.success(request, "Password changed. Your other sessions were logged out.")
    return redirect("web:account")


def account_refused(request, problem, form_name: str = "password"):
    from .views import account_page

    return account_page(request, problem=problem, problem_form=form_name, status=problem.status)
