"""The end-user pages: each reads what it shows, then its script acts through the REST API."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.roles import ROLE_CHOICES
from backups import services as backup_services
from billing import selectors as billing_selectors
from devices import selectors as device_selectors
from devices.errors import DeviceNotFound
from exports import selectors as export_selectors
from monitoring import selectors as alert_selectors

from . import selectors
from .access import page, public
from .context import layout


def _currency() -> str:
    return billing_selectors.plan_in_force().plan["currency"]


def _render(request, template: str, current: str = "", status: int = 200, **context):
    return render(request, template, {**layout(request, current), **context}, status=status)


def _next_url(request) -> str:
    target = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if safe and target.startswith("/") else "/"


# -- signing in ------------------------------------------------------------------------------


@public
def setup(request):
    if not account_services.setup_required():
        return redirect("web:login")
    return _render(request, "web/setup.html")


@public
def login(request):
    if account_services.setup_required():
        return redirect("web:setup")
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    return _render(request, "web/login.html", next_url=_next_url(request))


@public
def forgot_password(request):
    return _render(request, "web/forgot_password.html")


@public
def reset_password(request):
    return _render(request, "web/reset_password.html", token=request.GET.get("token", ""))


# -- devices ---------------------------------------------------------------------------------


@page("devices.view")
def dashboard(request):
    cards = selectors.dashboard_devices()
    return _render(
        request, "web/dashboard.html", "web:dashboard", cards=cards, currency=_currency()
    )


@page("devices.view")
def device_detail(request, pk: int):
    try:
        device = device_selectors.device_get(pk)
    except DeviceNotFound:
        return _render(request, "web/not_found.html", status=404, what="device")
    stats = device_selectors.stats(device)
    outlets = list(device.outlets.order_by("child_id")) if device.is_strip else []
    return _render(
        request, "web/device.html", "web:dashboard",
        device=device, stats=stats, outlets=outlets, currency=_currency(),
    )  # fmt: skip


# -- money -----------------------------------------------------------------------------------


@page("costs.view")
def costs(request):
    return _render(request, "web/costs.html", "web:costs")


@page("rates.view")
def rates(request):
    plan = billing_selectors.plan_in_force().plan
    fallback = selectors.rate_fallback(billing_selectors.plan_to_api(plan))
    return _render(request, "web/rates.html", "web:rates", fallback=fallback)


# -- data ------------------------------------------------------------------------------------


@page("data.export")
def exports(request):
    context = {
        "devices": device_selectors.device_list(),
        "history": export_selectors.export_history(request.user, limit=50, offset=0)["exports"],
        "formats": export_selectors.formats(),
        "metrics": export_selectors.metrics(),
        "default_fields": export_selectors.default_fields(),
    }
    return _render(request, "web/exports.html", "web:exports", **context)


@page(admin=True)
def backups(request):
    context = {
        "backups": backup_services.backup_list(),
        "schedules": selectors.backup_schedules(),
    }
    return _render(request, "web/backups.html", "web:backups", **context)


@page("alerts.view")
def alerts(request):
    raw = request.GET.get("page", "")
    page_no = int(raw) if raw.isascii() and raw.isdigit() and int(raw) > 0 else 1
    items, pagination = alert_selectors.alert_list(page=page_no, per_page=50)
    summary = alert_selectors.alert_summary()
    return _render(
        request, "web/alerts.html", "web:alerts",
        alerts=items, pagination=pagination, summary=summary,
    )  # fmt: skip


# -- people ----------------------------------------------------------------------------------


@page()
def account(request):
    current = account_selectors.current_session_id(request)
    sessions = selectors.session_list(request.user)
    context = {
        "sessions": [{"session": s, "is_current": s.pk == current} for s in sessions],
        "current_session": f"sess_{current.hex}" if current else "",
        "two_factor": account_selectors.two_factor_status(request.user),
        "max_sessions": settings.MAX_SESSIONS_PER_USER,
    }
    return _render(request, "web/account.html", "web:account", **context)


@page(admin=True)
def users(request):
    context = {
        "users": selectors.user_list(),
        "roles": ROLE_CHOICES,
        "two_factor_ids": selectors.two_factor_user_ids(),
    }
    return _render(request, "web/users.html", "web:users", **context)
