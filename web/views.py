"""The end-user pages: each reads what it shows. Their forms post to web.actions and
web.auth_views (no JavaScript needed); the scripts do the same through the REST API."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from accounts.permissions import has_permission
from accounts.roles import ROLE_CHOICES
from backups import services as backup_services
from billing import costs as billing_costs
from billing import selectors as billing_selectors
from devices import selectors as device_selectors
from devices import serializers as device_serializers
from devices import services as device_services
from devices.errors import DeviceNotFound
from devices.kasa_client import CloudCredentials
from exports import selectors as export_selectors
from insights import selectors as insight_selectors
from kasamonitor.errors import ApiError
from monitoring import selectors as alert_selectors

from . import intensity_form, rate_form, selectors
from .access import page
from .context import layout
from .forms import FORM_ERRORS, problem_of
from .render import render_page


def _currency() -> str:
    return billing_selectors.plan_in_force().plan["currency"]


_render = render_page


def favicon(request):
    """/favicon.ico for clients that ask without reading the pages' <link rel="icon">."""
    return redirect(static("favicon.svg"), permanent=True)


# -- devices ---------------------------------------------------------------------------------


@page("devices.view")
def dashboard(request):
    return dashboard_page(request)


def dashboard_page(request, status: int = 200, **extra):
    cards = selectors.dashboard_devices()
    steps = selectors.first_run_steps(layout(request)["can"])
    insights = _insights(request, standby=True) if cards else {}
    return _render(
        request, "web/dashboard.html", "web:dashboard", status,
        cards=cards, currency=_currency(), steps=steps, **insights, **extra,
    )  # fmt: skip


def _insights(request, *, standby: bool, changes_range: tuple[str, str] | None = None) -> dict:
    """The bill projection, what changed (on the dashboard its movers since the last billing
    period, on the costs page the whole card for the page's period: `changes_range`) and on
    the dashboard the always-on list, for those who may see costs: the same rule as
    /api/insights/*. Read only: the answers come from insights.selectors' cache, and the
    closed period's check is kept by its beat job (and the API), not by a page view."""
    if not has_permission(request.user, "costs.view"):
        return {}
    found = {"bill": insight_selectors.bill_projection()}
    if standby:
        found["standby"] = insight_selectors.standby_report()
        found["movers"] = insight_selectors.changes()["previous"]["movers"]
        found["appliances"] = _appliances(*insight_selectors.recent_days(RECENT_RUN_DAYS))
    else:
        found.update(_changes_card(changes_range))
    return found


RECENT_RUN_DAYS = 7  # the dashboard's "Appliance runs": the last 7 days, today included


def _appliances(start, end) -> dict | None:
    """Per device, the appliance runs that started in [start, end) (None: no device has run
    settings, so no card)."""
    if not insight_selectors.appliances_watched():
        return None
    return insight_selectors.appliance_runs_by_device(start, end)


def _changes_card(changes_range: tuple[str, str] | None) -> dict:
    """The costs page's "What changed" card: the period's rows against both comparisons
    (none when the page's period is refused: the form says why)."""
    if changes_range is None:
        return {}
    try:
        changed = insight_selectors.changes(start=changes_range[0], end=changes_range[1])
    except FORM_ERRORS:
        return {}
    rows = zip(changed["previous"]["devices"], changed["year_ago"]["devices"], strict=True)
    return {"changed": changed, "changed_rows": [{"previous": p, "year_ago": y} for p, y in rows]}


HISTORY_HOURS = {"1h": 1, "24h": 24, "7d": 24 * 7, "30d": 24 * 30, "365d": 24 * 365}
HISTORY_KEYS = ("range", "start", "end", "interval", "metric")
RANGE_CHOICES = [("1h", "Last hour"), ("24h", "Last 24 hours"), ("7d", "Last 7 days"),
                 ("30d", "Last 30 days"), ("365d", "Last year"), ("custom", "Custom…")]  # fmt: skip
INTERVAL_CHOICES = [("auto", "Automatic"), ("raw", "Every reading"), ("1h", "Hourly"),
                    ("6h", "6 hours"), ("1d", "Daily")]  # fmt: skip


@page("devices.view")
def device_detail(request, pk: int):
    if request.method == "POST":  # the history form: back as a GET, as static/js/device.js asks
        query = urlencode({k: request.POST.get(k, "") for k in HISTORY_KEYS})
        return redirect(f"{request.path}?{query}")
    try:
        device = device_selectors.device_get(pk)
    except DeviceNotFound:
        return _render(request, "web/not_found.html", status=404, what="device")
    stats = device_selectors.stats(device)
    outlets = (
        [{"device": o} for o in device.outlets.order_by("child_id")] if device.is_strip else []
    )
    chosen = {k: request.GET.get(k, "") for k in HISTORY_KEYS}
    points, problem = _history(device, chosen)
    return _render(
        request, "web/device.html", "web:dashboard",
        device=device, stats=stats, outlets=outlets, currency=_currency(),
        chosen=chosen, points=points, problem=problem,
        range_choices=RANGE_CHOICES, interval_choices=INTERVAL_CHOICES,
        **_appliance(request, device),
    )  # fmt: skip


def _appliance(request, device) -> dict:
    """The device's appliance runs and their settings form, for those who may see costs
    (as /api/insights/runs); the form posts to web.actions.device_appliance."""
    if not has_permission(request.user, "costs.view"):
        return {}
    return {
        "appliance": insight_selectors.appliance_runs(device, limit=10),
        "appliance_kinds": insight_selectors.APPLIANCE_KINDS,
        "appliance_presets": insight_selectors.appliance_settings(device)["presets"],
    }


def _history(device, chosen: dict) -> tuple[list[dict], object]:
    """The history table without scripts: the form's range and interval, checked as the
    API's history endpoint checks them."""
    hours = HISTORY_HOURS.get(chosen["range"] or "24h")
    interval = chosen["interval"] if chosen["interval"] in ("raw", "1h", "6h", "1d") else ""
    query = {"start_time": chosen["start"], "end_time": chosen["end"] or None}
    if hours:
        now = timezone.now()
        query = {
            "start_time": (now - timedelta(hours=hours)).isoformat(),
            "end_time": now.isoformat(),
        }
    query = {k: v for k, v in query.items() if v}
    query["interval"] = interval or _auto_interval(hours or 24)
    try:
        form = device_serializers.HistoryQuery(data=query)
        form.is_valid(raise_exception=True)
        return device_selectors.history(device, **form.validated_data), None
    except FORM_ERRORS as exc:
        return [], problem_of(exc, {"start_time": "start", "end_time": "end"})


def _auto_interval(hours: float) -> str:
    if hours <= 48:
        return "raw"
    return "1h" if hours <= 24 * 8 else "6h" if hours <= 24 * 31 else "1d"


# -- money -----------------------------------------------------------------------------------


COST_PERIODS = {
    "this_month": "This month", "last_month": "Last month", "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days", "this_year": "This year", "custom": "Custom…",
}  # fmt: skip


@page("costs.view")
def costs(request):
    """The period form posts here and comes back as a GET (?period=...): the totals, the
    per-device table and what changed in that period are in the page, so they need no
    script; the charts do. ?part=changes answers the "What changed" card alone, which
    static/js/costs.js swaps in when the period changes."""
    if request.method == "POST":
        keep = ("period", "start_date", "end_date")
        return redirect(f"{request.path}?{urlencode({k: request.POST.get(k, '') for k in keep})}")
    period = request.GET.get("period", "this_month")
    period = period if period in COST_PERIODS else "this_month"
    context = {"period": period, "period_choices": COST_PERIODS.items(), "start_date": request.GET.get("start_date", ""),
               "end_date": request.GET.get("end_date", "")}  # fmt: skip
    changes_range = changes_span(period, context["start_date"], context["end_date"])
    if request.GET.get("part") == "changes":
        card = _changes_card(changes_range) if has_permission(request.user, "costs.view") else {}
        return render(request, "web/_changes.html", card)
    try:
        span = cost_span(period, context["start_date"], context["end_date"])
        context["report"] = billing_costs.costs_report(span)
        if has_permission(request.user, "costs.view"):
            context["appliances"] = _appliances(span.start, span.end)
    except FORM_ERRORS as exc:
        context["problem"] = problem_of(exc)
    context.update(_insights(request, standby=False, changes_range=changes_range))
    return _render(request, "web/costs.html", "web:costs", **context)


def changes_span(period: str, start: str, end: str) -> tuple[str, str]:
    """The range of the costs page's "What changed" card, as /api/insights/changes takes it
    (start, end): the page's period; ("", "") for "This month" when the billing period
    starts on the 1st, whose comparison is then the last period's first days as far as this
    one has run (1-9 May against 1-9 June), not the nine days before the 1st."""
    if period == "custom":
        return start, end
    first, last = cost_period(period)
    if period == "this_month" and billing_selectors.billing_period().first_day == first:
        return "", ""
    return first.isoformat(), last.isoformat()


def cost_span(period: str, start: str, end: str):
    """What a period of the costs page covers (as static/js/costs.js): a custom range takes
    dates or date-times like the API."""
    if period == "custom":
        return billing_costs.span_from_params({"start_date": start, "end_date": end})
    first, last = cost_period(period)
    return billing_costs.span_from_params(
        {"start_date": first.isoformat(), "end_date": last.isoformat()}
    )


def cost_period(period: str) -> tuple[date, date]:
    """The first and last local day of a named period of the costs page."""
    first_of_month, today = billing_costs.this_month_so_far()
    if period == "last_month":
        last = first_of_month - timedelta(days=1)
        return last.replace(day=1), last
    if period in ("last_7_days", "last_30_days"):
        return today - timedelta(days=6 if period == "last_7_days" else 29), today
    if period == "this_year":
        return today.replace(month=1, day=1), today
    return first_of_month, today


@page("rates.view")
def rates(request):
    return rates_page(request)


def rates_page(
    request, status: int = 200, problem=None, form_plan=None, carbon_problem=None, carbon=None
):
    saved = billing_selectors.plan_in_force()
    grid = billing_selectors.grid_intensity()
    plan = billing_selectors.plan_to_api(saved.plan)
    # After a refusal: what was typed, with the errors beside it; else the plan in force.
    shown = form_plan or rate_form.from_api(plan)
    if saved.id is None:
        shown = {**shown, "name": ""}  # the built-in default's name is not the user's
    return _render(
        request, "web/rates.html", "web:rates", status,
        fallback=selectors.rate_fallback(plan), saved=saved.id is not None, problem=problem,
        preview=selectors.rate_preview(saved.plan), currency=plan["currency"],
        **rate_form.form_context(shown, problem),
        carbon=intensity_form.form_context(carbon or grid.intensity.to_api()),
        carbon_default=grid.is_default, carbon_problem=carbon_problem,
        household_zone=settings.TIME_ZONE,
    )  # fmt: skip


# -- data ------------------------------------------------------------------------------------


@page("data.export")
def exports(request):
    return exports_page(request)


def exports_page(request, status: int = 200, **extra):
    history = export_selectors.export_history(request.user, limit=50, offset=0)["exports"]
    context = {
        "history": history,
        # Without scripts the page reloads itself while a job runs (<noscript> refresh).
        "refresh": any(job.status in ("queued", "running") for job in history),
        "devices": device_selectors.device_list(),
        "formats": export_selectors.formats(),
        "metrics": export_selectors.metrics(),
        "default_fields": export_selectors.default_fields(),
        **extra,
    }
    return _render(request, "web/exports.html", "web:exports", status, **context)


@page(admin=True)
def backups(request):
    return backups_page(request)


def backups_page(request, status: int = 200, **extra):
    job = backup_services.backup_job_current(None)
    context = {
        "backups": backup_services.backup_list(),
        "schedules": selectors.backup_schedules(),
        "job": job,
        # Without scripts the page reloads itself while a backup runs (<noscript> refresh).
        "job_running": bool(job and job.status in ("pending", "running")),
        **extra,
    }
    return _render(request, "web/backups.html", "web:backups", status, **context)


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
    return account_page(request)


def account_page(request, status: int = 200, **extra):
    current = account_selectors.current_session_id(request)
    sessions = selectors.session_list(request.user)
    context = {
        "sessions": [{"session": s, "is_current": s.pk == current} for s in sessions],
        "current_session": f"sess_{current.hex}" if current else "",
        "two_factor": account_selectors.two_factor_status(request.user),
        "max_sessions": settings.MAX_SESSIONS_PER_USER,
        **extra,
    }
    return _render(request, "web/account.html", "web:account", status, **context)


@page(admin=True)
def users(request):
    return users_page(request)


def users_page(request, status: int = 200, **extra):
    context = {
        "users": selectors.user_list(),
        "roles": ROLE_CHOICES,
        "two_factor_ids": selectors.two_factor_user_ids(),
        **extra,
    }
    return _render(request, "web/users.html", "web:users", status, **context)


# -- device credentials (a plain POST form: works without JavaScript) ----------------------


@require_http_methods(["GET", "POST"])
@page("devices.edit")
def device_credentials(request, pk: int):
    """ "Update credentials" for a device refusing its TP-Link account: GET shows the form,
    POST tries them on the device and stores them (devices.services), then back home."""
    try:
        device = device_selectors.device_get(pk)
    except DeviceNotFound:
        return _render(request, "web/not_found.html", status=404, what="device")
    if request.method == "GET":
        return _render(request, "web/device_credentials.html", "web:dashboard", device=device)
    username = request.POST.get("username", "").strip()
    password = request.POST.get("password", "")
    household = request.POST.get("scope", "household") != "device"
    try:
        if not username or not password:
            raise ApiError("Give the TP-Link account's e-mail and password.")
        device_services.device_credentials_fix(
            device=device, credentials=CloudCredentials(username, password),
            household=household, actor=request.user, request=request,
        )  # fmt: skip
    except ApiError as exc:
        return _render(
            request, "web/device_credentials.html", "web:dashboard", status=exc.status_code,
            device=device, error=exc.message, username=username, household=household,
        )  # fmt: skip
    messages.success(request, f"{device.name}: credentials accepted; it is being polled now.")
    return redirect("web:dashboard")
