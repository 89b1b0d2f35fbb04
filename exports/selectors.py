"""Reads for the export API: history, statistics, the devices and metrics one can export."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from devices.selectors import devices_with_reading_counts

from . import conf, files
from .models import ExportJob, ExportSchedule
from .request import DEFAULT_FIELDS, METRICS
from .services import is_admin


def visible_exports(user):
    """Return the exports a user may see: their own, or all for an admin."""
    qs = ExportJob.objects.select_related("user")
    return qs if is_admin(user) else qs.filter(user=user)


def visible_schedules(user):
    qs = ExportSchedule.objects.select_related("user")
    return qs if is_admin(user) else qs.filter(user=user)


def export_history(
    user, *, limit: int, offset: int, status: str = "", export_type: str = ""
) -> dict:
    qs = visible_exports(user)
    if status:
        qs = qs.filter(status=status)
    if export_type:
        qs = qs.filter(export_type=export_type)
    return {"exports": list(qs[offset : offset + limit]), "total": qs.count(),
            "page": offset // limit + 1, "per_page": limit}  # fmt: skip


def export_stats(user) -> dict:
    qs = visible_exports(user)
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    formats = dict(qs.values_list("format").annotate(n=Count("pk")).values_list("format", "n"))
    types = dict(
        qs.values_list("export_type").annotate(n=Count("pk")).values_list("export_type", "n")
    )
    size = qs.aggregate(s=Sum("file_size"))["s"] or 0
    hour_ago = timezone.now() - timedelta(hours=1)
    used = ExportJob.objects.filter(user=user, schedule=None, created_at__gt=hour_ago).count()
    return {
        "total_exports": qs.count(),
        "exports_this_month": qs.filter(created_at__gte=month_start).count(),
        "total_data_exported": files.human_size(size),
        "total_data_exported_bytes": size,
        "most_popular_format": max(formats, key=formats.get) if formats else None,
        "export_types": types,
        "formats": formats,
        "user_exports_remaining": max(0, conf.limit("exports_per_hour") - used),
    }


def exportable_devices() -> list[dict]:
    devices = devices_with_reading_counts()
    return [{"device_ip": d.host, "device_name": d.name, "device_type": d.device_type,
             "device_id": d.device_id, "id": d.pk, "last_seen": d.last_seen,
             "data_points": d.points} for d in devices]  # fmt: skip


def default_fields() -> list[str]:
    """Return the fields an export has when the request names none."""
    return DEFAULT_FIELDS


def metrics() -> list[dict]:
    return [{"field": f, "name": n, "description": d, "data_type": t, "unit": u}
            for f, (n, d, t, u) in METRICS.items()]  # fmt: skip


def formats() -> list[dict]:
    return [{"id": key, **meta} for key, meta in conf.FORMATS.items()]


def job_counts_by_status() -> dict[str, int]:
    """Return how many export jobs are in each status."""
    rows = ExportJob.objects.values("status").annotate(n=Count("id")).values_list("status", "n")
    return {status: 0 for status in ExportJob.Status.values} | dict(rows)
