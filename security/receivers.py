"""Signal receivers: one line each, calling a service (STYLE.md 3.6)."""

from __future__ import annotations

from .services import audit_record

PRUNE_TASK = "security.tasks.prune_audit_log"


def ensure_schedules(sender, **kwargs) -> None:
    """Create the daily audit-retention schedule once; admins may edit it afterwards."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.get_or_create(
        name="Prune audit log (AUDIT_RETENTION_DAYS)",
        defaults={"task": PRUNE_TASK, "crontab": crontab},
    )


def _admin_site(request) -> bool:
    # API and UI logins are audited by accounts' own services; only the Django admin's
    # session login would otherwise go unrecorded.
    return request is not None and request.path.startswith("/admin/")


def admin_logged_in(sender, request, user, **kwargs) -> None:
    if _admin_site(request):
        audit_record("auth.admin_login", actor=user, request=request)


def admin_login_failed(sender, credentials, request=None, **kwargs) -> None:
    if _admin_site(request):
        audit_record("auth.admin_login_failed", request=request, outcome="failure",
                     severity="warning", details={"username": credentials.get("username", "")[:150]})  # fmt: skip
