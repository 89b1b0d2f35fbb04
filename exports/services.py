"""Export jobs: create (with limits and rate limit), run in the worker, download, delete, retry."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, sql
from django.db.models.sql.constants import ROW_COUNT
from django.utils import timezone

from accounts.permissions import has_permission
from accounts.roles import ADMIN
from kasamonitor.errors import PermissionRequired
from kasamonitor.timestamps import iso_utc
from security.services import audit_record

from . import conf, delivery, files, writers
from .costs import cost_document
from .errors import (
    ExportAccessDenied,
    ExportExpired,
    ExportLimitExceeded,
    ExportNotFound,
    ExportNotReady,
    ExportNotRetryable,
    ExportOnHold,
    ExportRateLimited,
    TooManyConcurrentExports,
)
from .insights import insights_document
from .models import ExportJob, ExportType
from .personal import personal_document
from .readings import device_data_table, readings_queryset
from .reports import audit_queryset, audit_table, system_report
from .request import ExportConfig, parse
from .tables import Document

logger = logging.getLogger(__name__)
Status = ExportJob.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)


def is_admin(user) -> bool:
    return getattr(user, "role", None) == ADMIN


def export_create(
    *, user, data, request=None, schedule=None, now: datetime | None = None
) -> ExportJob:
    """Check and queue an export for `user`; the worker runs it after the transaction commits."""
    now = now or timezone.now()
    cfg = parse(data, now=now)
    check_type_permission(cfg.export_type, user, request)
    if schedule is None:
        _check_rate(user, request, now)
    _check_concurrency(user)
    estimate = estimate_records(cfg, user)
    _check_size(cfg, estimate)
    policy = conf.RETENTION[cfg.export_type]
    with transaction.atomic():
        job = ExportJob.objects.create(
            user=user, schedule=schedule, export_type=cfg.export_type, format=cfg.format,
            compression=cfg.compression, config=cfg.raw, estimated_records=estimate,
            retention_days=policy["retention_days"],
        )  # fmt: skip
        audit_record("DATA_EXPORT", actor=user, request=request, target=job,
                     details=_audit_details(job, cfg))  # fmt: skip
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def check_type_permission(export_type: str, user, request=None) -> None:
    """Refuse (403, audited) an export type the user may not see (conf.TYPE_PERMISSIONS)."""
    needed = conf.TYPE_PERMISSIONS.get(export_type)
    if needed and not has_permission(user, needed):
        audit_record("PERMISSION_DENIED", actor=user, request=request, outcome="failure",
                     severity="warning", target_type="exports",
                     details={"user_id": user.pk, "export_type": export_type,
                              "required_permission": needed})  # fmt: skip
        raise PermissionRequired(required_permission=needed)


def enqueue(export_id: str) -> None:
    from .tasks import run_export

    run_export.delay(export_id)


def _audit_details(job: ExportJob, cfg: ExportConfig) -> dict:
    return {"export_id": job.pk, "export_type": job.export_type, "format": job.format,
            "devices": cfg.raw.get("devices", "all"), "date_range": cfg.raw["date_range"],
            "scheduled": job.schedule_id is not None}  # fmt: skip


def _check_rate(user, request, now: datetime) -> None:
    per_hour = conf.limit("exports_per_hour")
    window = ExportJob.objects.filter(
        user=user, schedule=None, created_at__gt=now - timedelta(hours=1)
    )
    times = list(window.order_by("created_at").values_list("created_at", flat=True)[:per_hour])
    if len(times) < per_hour:
        return
    retry_at = times[0] + timedelta(hours=1)
    audit_record("RATE_LIMIT_EXCEEDED", actor=user, request=request, outcome="failure",
                 severity="warning", target_type="exports.exportjob",
                 details={"user_id": user.pk, "export_count": window.count(), "limit": per_hour})  # fmt: skip
    seconds = max(1, int((retry_at - now).total_seconds()) + 1)
    raise ExportRateLimited(per_hour, seconds, iso_utc(retry_at))


def _check_concurrency(user) -> None:
    maximum = conf.limit("max_concurrent_exports")
    running = ExportJob.objects.filter(user=user, status__in=ACTIVE).count()
    if running >= maximum:
        raise TooManyConcurrentExports(running, maximum)


def estimate_records(cfg: ExportConfig, user) -> int:
    """Return how many rows the export will (at most) hold."""
    if cfg.export_type == ExportType.DEVICE_DATA:
        count = readings_queryset(cfg).count()
        if cfg.aggregation == "raw":
            return count
        from .periods import bucket_count

        devices = len(cfg.device_ids) or _device_count()
        return min(count, devices * bucket_count(cfg.aggregation, cfg.start, cfg.end))
    if cfg.export_type == ExportType.AUDIT_LOGS:
        return audit_queryset(cfg, user).count()
    return 0


def _device_count() -> int:
    from devices.selectors import device_count

    return device_count()


def _check_size(cfg: ExportConfig, estimate: int) -> None:
    maximum = conf.limit("max_records_per_export")
    if estimate > maximum:
        raise ExportLimitExceeded(
            f"This export would hold {estimate:,} records; the limit is {maximum:,}. "
            "Narrow the date range or devices, or aggregate.",
            limit=maximum, estimated_records=estimate,
        )  # fmt: skip
    pdf_rows = conf.limit("max_pdf_rows")
    if cfg.format == "pdf" and estimate > pdf_rows:
        raise ExportLimitExceeded(
            f"A PDF holds at most {pdf_rows:,} rows; this export would hold {estimate:,}. "
            "Use CSV, JSON or Excel, or aggregate.",
            limit=pdf_rows, estimated_records=estimate,
        )  # fmt: skip


# Running (in the worker) -------------------------------------------------------------------------


def export_run(export_id: str) -> None:
    """Run a queued export; a job that is not queued (already taken, deleted) is left alone."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=export_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, progress=0, error="",
        attempts=F("attempts") + 1,
    )  # fmt: skip
    if not claimed:
        return
    job = ExportJob.objects.select_related("user", "schedule").get(pk=export_id)
    try:
        _produce(job)
    except Exception as exc:  # noqa: BLE001 (any failure must end as "failed", never "running")
        logger.exception("export failed", extra={"export_id": export_id})
        export_mark_failed(export_id, _reason(exc))
    if job.schedule_id:
        _deliver(export_id)


def _deliver(export_id: str) -> None:
    try:
        delivery.deliver(ExportJob.objects.select_related("schedule", "user").get(pk=export_id))
    except Exception:  # noqa: BLE001 (a mail server being down must not undo a finished export)
        logger.exception("scheduled export delivery failed", extra={"export_id": export_id})


def _reason(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


def _produce(job: ExportJob) -> None:
    cfg = parse(job.config, now=job.created_at)
    beat = _Heartbeat(job)
    doc = build_document(cfg, user=job.user, export_id=job.pk, progress=beat)
    folder = files.user_dir(job.user_id)
    partial = folder / f".{job.pk}.partial{files.extension(cfg.format)}"
    try:
        count = writers.write(doc, cfg.format, partial, include_headers=cfg.include_headers)
        path = writers.compress(partial, cfg.compression) if cfg.compression else partial
        _check_file_size(path)
        final = folder / f"{job.pk}{files.extension(cfg.format, cfg.compression)}"
        path.replace(final)
    finally:
        beat.close()
        for table in doc.tables:  # a write that failed mid-stream leaves its cursor open:
            getattr(table.rows, "close", lambda: None)()  # end its read before marking failed
        for leftover in folder.glob(f".{job.pk}.partial*"):
            leftover.unlink(missing_ok=True)
    _complete(job, final, count)


def build_document(cfg: ExportConfig, *, user, export_id: str, progress=None) -> Document:
    """Return the tables an export holds (rows of big tables are generators)."""
    meta = {"export_id": export_id, "export_type": cfg.export_type,
            "generated_at": timezone.now().isoformat(), "start": cfg.start.isoformat(),
            "end": cfg.end.isoformat(), "timezone": str(cfg.tz)}  # fmt: skip
    if cfg.export_type == ExportType.DEVICE_DATA:
        meta["aggregation"] = cfg.aggregation
        return Document("Device data", meta, [device_data_table(cfg, progress)])
    if cfg.export_type == ExportType.AUDIT_LOGS:
        return Document("Audit log", meta, [audit_table(cfg, user, progress)])
    check_type_permission(cfg.export_type, user)  # again when run: it may have been revoked
    builders = {ExportType.COST_ANALYSIS: cost_document, ExportType.SYSTEM_REPORT: system_report,
                ExportType.INSIGHTS: insights_document}  # fmt: skip
    doc = builders[cfg.export_type](cfg) if cfg.export_type in builders else personal_document(user)
    doc.meta = {**meta, **doc.meta}
    return doc


class _Heartbeat:
    """Progress callback: writes progress and heartbeat at most once a second.

    On SQLite, outside a transaction, it writes through a connection of its own. The rows are read through a cursor
    left open on Django's connection between chunks, and a write on that connection has to
    upgrade the cursor's snapshot: SQLite refuses that at once ("database is locked") when
    anything committed since, as the worker's polls do every interval.
    """

    def __init__(self, job: ExportJob):
        self.job, self.last = job, 0.0
        self.own = None  # the SQLite connection, opened by the first beat

    def __call__(self, done: int) -> None:
        if time.monotonic() - self.last < 1.0:
            return
        self.last = time.monotonic()
        total = self.job.estimated_records or done
        pct = min(99, int(done * 100 / max(total, 1)))
        query = ExportJob.objects.filter(pk=self.job.pk).query.chain(sql.UpdateQuery)
        query.add_update_values({"progress": pct, "heartbeat_at": timezone.now()})
        # Inside a transaction (an eager run) Django's connection already holds the write lock.
        if connection.vendor == "sqlite" and not connection.in_atomic_block and not self.own:
            self.own = connections.create_connection(DEFAULT_DB_ALIAS)
        query.get_compiler(connection=self.own or connection).execute_sql(ROW_COUNT)

    def close(self) -> None:
        if self.own is not None:
            self.own.close()


def _check_file_size(path: Path) -> None:
    maximum = conf.limit("max_file_size_mb")
    if path.stat().st_size > maximum * conf.MB:
        size = files.human_size(path.stat().st_size)
        path.unlink()
        raise ExportLimitExceeded(
            f"The export file is {size}; the limit is {maximum} MB. Narrow it or use compression."
        )


def _complete(job: ExportJob, path: Path, count: int) -> None:
    now = timezone.now()
    done = ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
        status=Status.COMPLETED, progress=100, completed_at=now, heartbeat_at=now,
        file_name=path.name, file_size=path.stat().st_size, record_count=count,
        expires_at=now + timedelta(days=job.retention_days),
    )  # fmt: skip
    if not done:  # deleted (or failed as stale) while it ran: don't leave an orphan file
        path.unlink(missing_ok=True)


def export_mark_failed(export_id: str, message: str) -> None:
    """Mark an export failed (retryable) with a reason the user can read."""
    ExportJob.objects.filter(pk=export_id, status__in=ACTIVE).update(
        status=Status.FAILED, error=message[:2000], completed_at=timezone.now()
    )


def fail_stale_running(now: datetime | None = None) -> int:
    """Fail running exports whose worker stopped beating (killed, OOM, restarted)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=conf.limit("stale_after_seconds"))
    return ExportJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=stale).update(
        status=Status.FAILED, completed_at=now,
        error="The worker stopped while running this export; retry it.",
    )  # fmt: skip


def export_retry(job: ExportJob, *, actor, request=None) -> ExportJob:
    """Re-queue a failed export."""
    with transaction.atomic():
        if not ExportJob.objects.filter(pk=job.pk, status=Status.FAILED).update(
            status=Status.QUEUED, progress=0, error="", completed_at=None, heartbeat_at=None
        ):
            raise ExportNotRetryable(export_status=job.status)
        audit_record("DATA_EXPORT", actor=actor, request=request, target=job,
                     details={"export_id": job.pk, "retry": True})  # fmt: skip
        transaction.on_commit(lambda: enqueue(job.pk))
    job.refresh_from_db()
    return job


# Access, download, delete -------------------------------------------------------------------------


def export_get(export_id: str, *, user, request=None) -> ExportJob:
    """Return an export the user may see: their own, or any for an admin."""
    job = ExportJob.objects.select_related("user").filter(pk=export_id).first()
    if job is None:
        raise ExportNotFound(export_id)
    if job.user_id != user.pk and not is_admin(user):
        audit_record("PERMISSION_DENIED", actor=user, request=request, target=job,
                     outcome="failure", severity="warning",
                     details={"user_id": user.pk, "export_id": job.pk})  # fmt: skip
        raise ExportAccessDenied(job.user.username)
    return job


def export_file(job: ExportJob, *, user, request=None) -> tuple[Path, str, str]:
    """Return (path, download name, mime type) of a completed, unexpired export, audited."""
    if job.status == Status.EXPIRED or (job.expires_at and job.expires_at <= timezone.now()):
        raise ExportExpired(iso_utc(job.expires_at))
    if job.status != Status.COMPLETED:
        raise ExportNotReady(job.status)
    path = files.job_path(job)
    if path is None or not path.exists():
        raise ExportExpired(iso_utc(job.expires_at))
    audit_record("DATA_EXPORTED", actor=user, request=request, target=job,
                 details={"export_id": job.pk, "filename": job.file_name, "size": job.file_size,
                          "format": job.format, "owner": job.user.username})  # fmt: skip
    return path, job.file_name, files.mime_type(job.format, job.compression)


def export_delete(job: ExportJob, *, user, request=None) -> datetime:
    """Delete an export's file and record; compliance-hold exports only by an admin."""
    policy = conf.RETENTION.get(job.export_type, {})
    live = job.expires_at is None or job.expires_at > timezone.now()
    if (
        policy.get("compliance_hold")
        and live
        and not is_admin(user)
        and job.status == Status.COMPLETED
    ):
        raise ExportOnHold()
    with transaction.atomic():
        audit_record("DATA_DELETED", actor=user, request=request, target=job,
                     details={"export_id": job.pk, "filename": job.file_name,
                              "owner": job.user.username})  # fmt: skip
        job.delete()
        transaction.on_commit(lambda: files.remove(job))
    return timezone.now()
