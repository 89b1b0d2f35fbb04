"""The first rows of an export, its size and a file-size estimate, without creating a job."""

from __future__ import annotations

import csv
import io
from itertools import islice

from django.utils import timezone

from kasamonitor.timestamps import iso_utc

from . import conf, files
from .errors import InvalidExportRequest
from .request import parse
from .services import build_document, estimate_records

LIST_PARAMS = ("devices", "fields", "breakdown_by", "report_sections", "event_types", "severity_levels",
               "users")  # fmt: skip


def request_from_query(query) -> tuple[dict, int]:
    """Turn preview query parameters into a create-request body and a row limit."""
    data: dict = {
        k: query.get(k)
        for k in ("export_type", "format", "aggregation", "grouping")
        if query.get(k)
    }
    for key in LIST_PARAMS:
        values = [v for item in query.getlist(key) for v in item.split(",") if v.strip()]
        if values:
            data[key] = values
    if query.get("start") or query.get("end"):
        data["date_range"] = {"start": query.get("start"), "end": query.get("end")}
    elif query.get("date_range"):
        data["date_range"] = query.get("date_range")
    if query.get("timezone"):
        data["options"] = {"timezone": query.get("timezone")}
    return data, _limit(query.get("limit", "5"))


def _limit(text: str) -> int:
    maximum = conf.limit("preview_max_rows")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= maximum:
        raise InvalidExportRequest(f"limit must be a whole number from 1 to {maximum}.", "limit")
    return int(text)


def export_preview(*, user, data: dict, limit: int) -> dict:
    """Return the preview body: rows as objects, the record total and the estimated file size."""
    cfg = parse(data, now=timezone.now())
    doc = build_document(cfg, user=user, export_id="preview")
    table = doc.tables[0]
    keys = [c.key for c in table.columns]
    rows = list(islice(table.rows, limit))
    total = (
        estimate_records(cfg, user)
        if doc.single
        else sum(len(list(t.rows)) for t in doc.tables[1:]) + len(rows)
    )
    return {
        "preview": [dict(zip(keys, [_plain(v) for v in row], strict=False)) for row in rows],
        "columns": keys,
        "sections": [t.name for t in doc.tables],
        "total_records": total,
        "date_range": cfg.raw["date_range"],
        "estimated_file_size": files.human_size(_row_bytes(rows) * total),
        "preview_note": f"Showing first {len(rows)} records"
        + ("" if doc.single else f" of '{table.name}'"),
    }


def _plain(value):
    return iso_utc(value) if hasattr(value, "isoformat") else value


def _row_bytes(rows: list[tuple]) -> float:
    if not rows:
        return 0
    out = io.StringIO()
    csv.writer(out).writerows([[_plain(v) for v in row] for row in rows])
    return len(out.getvalue()) / len(rows)
