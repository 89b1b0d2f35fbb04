"""The pages' forms without JavaScript: each validates with the API's serializer, makes the
API's service call, then redirects with a flash message (post/redirect/get) or re-renders
its page with the errors at the fields the refusal names."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts import serializers as account_serializers
from accounts.users import user_create, user_delete, user_update
from backups import schedules as backup_schedules
from backups import selectors as backup_selectors
from backups import services as backup_services
from backups.restore import backup_restore as restore_path
from backups.restore import backup_restore_upload
from backups.serializers import BackupCreateInput, RestoreOptions, ScheduleSerializer
from billing import services as billing_services
from devices import selectors as device_selectors
from devices import serializers as device_serializers
from devices import services as device_services
from exports import services as export_services
from insights import services as insight_services
from insights.runs import FIGURES
from insights.serializers import ApplianceSettingsIn
from kasamonitor.drf import validated
from monitoring import alerts
from monitoring import selectors as alert_selectors

from . import views
from .access import page
from .forms import FORM_ERRORS, Problem, problem_of, values
from .intensity_form import intensity_from_form
from .rate_form import plan_from_form


def _back(request, default: str):
    """Redirect to the form's local "next" page (the page it sits on), else `default`."""
    target = request.POST.get("next", "")
    ok = target.startswith("/") and not target.startswith("//")
    return redirect(target if ok else default)


# -- devices ---------------------------------------------------------------------------------


@require_POST
@page("devices.discover")
def device_add(request):
    try:
        form = device_serializers.ManualAddIn(data=request.POST)
        form.is_valid(raise_exception=True)
        fields = {k: form.validated_data[k] for k in ("ip", "alias", "port")}
        device = device_services.device_add_manual(
            **fields, credentials=form.credentials(), actor=request.user, request=request
        )
    except FORM_ERRORS as exc:
        return views.dashboard_page(
            request, problem_of(exc).status, problem=problem_of(exc), problem_form="add",
            form=values(request, "password"),
        )  # fmt: skip
    messages.success(request, f"Added {device.name}.")
    return redirect("web:dashboard")


@require_POST
@page("devices.discover")
def device_discover(request):
    try:
        form = device_serializers.DiscoverIn(data=request.POST)
        form.is_valid(raise_exception=True)
        outcome = device_services.device_discover_all(
            credentials=form.credentials(), actor=request.user, request=request
        )
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
        return redirect("web:dashboard")
    messages.success(request, f"Discovery finished: {len(outcome.devices)} device(s) found.")
    if outcome.locked:
        names = ", ".join(
            f"{locked.model or 'a device'} at {locked.host}" for locked in outcome.locked
        )
        messages.warning(
            request,
            f"{names}: needs your TP-Link account (the Kasa or Tapo app's login). Open "
            '"TP-Link account" under Discover devices, enter it and discover again.',
        )
    return redirect("web:dashboard")


@require_POST
@page("devices.control")
def device_power(request, pk: int):
    try:
        device = device_selectors.device_get(pk)
        form = device_serializers.ControlIn(data=request.POST)
        form.is_valid(raise_exception=True)
        device = device_services.device_set_power(
            device=device, action=form.validated_data["action"], actor=request.user,
            request=request,
        )  # fmt: skip
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, f"{device.name} is {'on' if device.is_on else 'off'}.")
    return _back(request, reverse("web:dashboard"))


@require_POST
@page("devices.edit")
def device_appliance(request, pk: int):
    """The device page's appliance-runs form: the same checks and service as
    PUT/DELETE /api/insights/appliances/{key}; blank figures take the kind's preset."""
    back = reverse("web:device", args=[pk])
    try:
        device = device_selectors.device_get(pk)
        if request.POST.get("remove"):
            insight_services.appliance_settings_remove(device=device, actor=request.user)
            messages.success(request, f"{device.name}: runs are no longer detected.")
            return redirect(back)
        given = {k: v for k, v in request.POST.items() if k in FIGURES + ("kind",) and v != ""}
        data = validated(ApplianceSettingsIn, given)
        insight_services.appliance_settings_save(device=device, data=data, actor=request.user)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, f"{device.name}: its runs are looked for with these settings.")
    return redirect(back + "#runs")


# -- rates -----------------------------------------------------------------------------------


@require_POST
@page("rates.edit")
def rates_save(request):
    body = plan_from_form(request.POST)
    try:
        billing_services.rate_plan_save(body, actor=request.user, request=request)
    except FORM_ERRORS as exc:
        problem = problem_of(exc)
        return views.rates_page(request, problem.status, problem=problem, form_plan=body)
    messages.success(request, "Saved. Costs from now on use this plan.")
    return redirect("web:rates")


@require_POST
@page("rates.edit")
def grid_intensity_save(request):
    body = intensity_from_form(request.POST)
    try:
        billing_services.grid_intensity_save(body, actor=request.user, request=request)
    except FORM_ERRORS as exc:
        problem = problem_of(exc)
        return views.rates_page(request, problem.status, carbon_problem=problem, carbon=body)
    messages.success(request, "Saved. Every cost's kg of CO2 is worked out again with it.")
    return redirect("web:rates")


# -- exports ---------------------------------------------------------------------------------


def export_body(post) -> dict:
    """The API's export request from the export form (what static/js/exports.js sends)."""
    date_range = post.get("preset", "last_7_days")
    if date_range == "custom":
        date_range = {"start": post.get("start", ""), "end": post.get("end", "")}
    devices = "all" if post.get("all_devices") else [int(d) for d in post.getlist("devices")]
    body = {
        "export_type": post.get("export_type", "device_data"),
        "format": post.get("format", "csv"),
        "date_range": date_range,
        "devices": devices,
        "fields": post.getlist("fields"),
        "aggregation": post.get("aggregation", "hourly"),
    }
    if post.get("compression"):
        body["compression"] = post["compression"]
    return body


@require_POST
@page("data.export")
def export_create(request):
    try:
        body = export_body(request.POST)
        export_services.export_create(user=request.user, data=body, request=request)
    except (ValueError, *FORM_ERRORS) as exc:
        problem = problem_of(exc) if isinstance(exc, FORM_ERRORS) else _bad_devices()
        return views.exports_page(request, problem.status, problem=problem)
    messages.success(request, "Export queued. It appears below; reload to follow it.")
    return redirect("web:exports")


def _bad_devices():
    return Problem("Pick devices from the list.", 400, {"devices": "Pick devices from the list."})


@require_POST
@page("data.export")
def export_retry(request, export_id: str):
    try:
        job = export_services.export_get(export_id, user=request.user, request=request)
        export_services.export_retry(job, actor=request.user, request=request)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, "Export queued again.")
    return redirect("web:exports")


@require_POST
@page("data.export")
def export_delete(request, export_id: str):
    try:
        job = export_services.export_get(export_id, user=request.user, request=request)
        export_services.export_delete(job, user=request.user, request=request)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, "Export deleted.")
    return redirect("web:exports")


# -- backups ---------------------------------------------------------------------------------


@require_POST
@page(admin=True)
def backup_create(request):
    try:
        form = BackupCreateInput(data=request.POST)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        password = data.pop("password", "") or None
        kind = data.pop("type")
        backup_services.backup_job_start(
            kind=kind, options=data, password=password, actor=request.user
        )
    except FORM_ERRORS as exc:
        problem = problem_of(exc)
        return views.backups_page(request, problem.status, problem=problem, problem_form="backup")
    messages.success(request, "Backup started. Reload this page to follow it.")
    return redirect("web:backups")


@require_POST
@page(admin=True)
def backup_schedule_add(request):
    try:
        form = ScheduleSerializer(data=request.POST)
        form.is_valid(raise_exception=True)
        backup_schedules.schedule_create(form.validated_data, actor=request.user, request=request)
    except FORM_ERRORS as exc:
        problem = problem_of(exc)
        return views.backups_page(
            request, problem.status, problem=problem, problem_form="schedule",
            form=values(request),
        )  # fmt: skip
    messages.success(request, "Schedule added.")
    return redirect("web:backups")


# -- users -----------------------------------------------------------------------------------


@require_POST
@page(admin=True)
def user_add(request):
    try:
        form = account_serializers.UserCreateSerializer(data=request.POST)
        form.is_valid(raise_exception=True)
        user = user_create(actor=request.user, request=request, **form.validated_data)
    except FORM_ERRORS as exc:
        problem = problem_of(exc)
        return views.users_page(
            request, problem.status, problem=problem, form=values(request, "password")
        )
    messages.success(request, f"Added {user.username}.")
    return redirect("web:users")


@require_POST
@page(admin=True)
def backup_restore(request):
    """Restore an uploaded or a stored backup; the form must say RESTORE, as the dialog asks."""
    if request.POST.get("confirm", "").strip().upper() != "RESTORE":
        problem = Problem(
            "Not restored: type RESTORE to confirm.", 400, {"confirm": "Type RESTORE."}
        )
        return views.backups_page(request, 400, problem=problem, problem_form="restore")
    try:
        form = RestoreOptions(data=request.POST)
        form.is_valid(raise_exception=True)
        options = {**form.validated_data, "password": request.POST.get("password") or None,
                   "actor": request.user, "request": request}  # fmt: skip
        if request.FILES.get("file"):
            backup_restore_upload(request.FILES["file"], **options)
        else:
            restore_path(backup_services.backup_path(request.POST.get("filename", "")), **options)
    except FORM_ERRORS as exc:
        problem = problem_of(exc)
        return views.backups_page(request, problem.status, problem=problem, problem_form="restore")
    messages.success(request, "Backup restored. You may need to log in again.")
    return redirect("web:backups")


@require_POST
@page(admin=True)
def backup_delete(request, filename: str):
    try:
        backup_services.backup_delete(filename, actor=request.user, request=request)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, f"Backup {filename} deleted.")
    return redirect("web:backups")


# -- alerts ----------------------------------------------------------------------------------


@require_POST
@page("alerts.acknowledge")
def alert_acknowledge(request, pk: int):
    try:
        alerts.alert_acknowledge(alert_selectors.alert_get(pk), actor=request.user)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, "Alert acknowledged.")
    return _back(request, reverse("web:alerts"))


@require_POST
@page("alerts.acknowledge")
def alert_acknowledge_all(request):
    count = alerts.alert_acknowledge_all(actor=request.user)
    messages.success(request, f"{count} alerts acknowledged.")
    return redirect("web:alerts")


@require_POST
@page("alerts.delete")
def alert_delete(request, pk: int):
    try:
        alerts.alert_delete(alert_selectors.alert_get(pk), actor=request.user)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, "Alert deleted.")
    return _back(request, reverse("web:alerts"))


@require_POST
@page(admin=True)
def user_change(request, pk: int):
    """A row of the users table: its role and active flag (the script saves each change)."""
    body = {"role": request.POST.get("role", ""), "is_active": "is_active" in request.POST}
    try:
        data = validated(account_serializers.UserUpdateSerializer, body)
        user = user_update(
            actor=request.user, user=account_selectors.user_get(pk), data=data, request=request
        )
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, f"Saved {user.username}.")
    return redirect("web:users")


@require_POST
@page(admin=True)
def user_remove(request, pk: int):
    try:
        user = account_selectors.user_get(pk)
        user_delete(actor=request.user, user=user, request=request)
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, f"Deleted {user.username}.")
    return redirect("web:users")


@require_POST
@page(admin=True)
def backup_schedule_change(request, pk: int):
    """A schedule's row: switch it on or off (the script saves each change)."""
    schedule = backup_selectors.backup_schedule_get(pk)
    if schedule is None:
        messages.error(request, "That schedule no longer exists.")
        return redirect("web:backups")
    try:
        backup_schedules.schedule_switch(
            schedule, "enabled" in request.POST, actor=request.user, request=request
        )
    except FORM_ERRORS as exc:
        messages.error(request, problem_of(exc).message)
    else:
        messages.success(request, f"Schedule {'on' if schedule.enabled else 'off'}.")
    return redirect("web:backups")


@require_POST
@page(admin=True)
def backup_schedule_delete(request, pk: int):
    schedule = backup_selectors.backup_schedule_get(pk)
    if schedule is not None:
        backup_schedules.schedule_delete(schedule, actor=request.user, request=request)
    messages.success(request, "Schedule deleted.")
    return redirect("web:backups")
