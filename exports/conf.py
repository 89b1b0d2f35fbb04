"""Export limits, retention policies and formats; each limit can be overridden in settings."""

from __future__ import annotations

from django.conf import settings

MB = 1024 * 1024


def limit(name: str) -> int:
    """Return an export limit: settings.EXPORT_LIMITS[name] or the spec's default."""
    return {**DEFAULT_LIMITS, **getattr(settings, "EXPORT_LIMITS", {})}[name]


DEFAULT_LIMITS = {
    "max_records_per_export": 1_000_000,
    "max_date_range_days": 366,
    "max_concurrent_exports": 3,
    "max_file_size_mb": 100,
    "exports_per_hour": 10,
    "max_pdf_rows": 20_000,  # reportlab lays out a whole document in memory
    "attachment_max_mb": 10,  # larger scheduled exports are mailed as a signed link
    "stale_after_seconds": 300,  # a running job whose heartbeat is older has lost its worker
    "chunk_size": 10_000,
    "preview_max_rows": 100,
    "signed_link_minutes": 7 * 24 * 60,
}

# The spec's "retention_policies": days a file is kept; auto_delete files are removed by the
# daily cleanup; compliance_hold exports can be deleted early only by an admin.
RETENTION = {
    "device_data": {"retention_days": 7, "auto_delete": True, "compliance_hold": False},
    "cost_analysis": {"retention_days": 30, "auto_delete": True, "compliance_hold": False},
    "audit_logs": {"retention_days": 30, "auto_delete": True, "compliance_hold": True},
    "system_report": {"retention_days": 90, "auto_delete": False, "compliance_hold": False},
    "personal_data": {"retention_days": 7, "auto_delete": True, "compliance_hold": False},
    "insights": {"retention_days": 30, "auto_delete": True, "compliance_hold": False},
}
# What an export type needs beside DATA_EXPORT: costs and insights show money, as
# /api/costs and /api/insights/* do (a role may export readings but not see costs).
TYPE_PERMISSIONS = {"cost_analysis": "costs.view", "insights": "costs.view"}
CLEANUP_SCHEDULE = "0 2 * * *"
NOTIFY_HOURS_BEFORE_DELETION = 24

FORMATS = {
    "csv": {
        "name": "CSV",
        "description": "Comma-separated values",
        "mime_type": "text/csv",
        "extension": ".csv",
    },
    "json": {
        "name": "JSON",
        "description": "JavaScript Object Notation",
        "mime_type": "application/json",
        "extension": ".json",
    },
    "excel": {
        "name": "Excel",
        "description": "Microsoft Excel workbook",
        "mime_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "extension": ".xlsx",
    },
    "pdf": {
        "name": "PDF",
        "description": "Printable report with tables and charts",
        "mime_type": "application/pdf",
        "extension": ".pdf",
    },
}
FORMAT_ALIASES = {"xlsx": "excel"}
COMPRESSIONS = {
    "zip": {"mime_type": "application/zip", "extension": ".zip"},
    "gzip": {"mime_type": "application/gzip", "extension": ".gz"},
}
