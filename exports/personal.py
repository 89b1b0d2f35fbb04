"""A user's own personal data (GDPR data portability): profile, sessions, audit events, exports."""

from __future__ import annotations

import json

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from kasamonitor.timestamps import iso_utc
from security.selectors import audit_of

from .models import ExportJob, ExportSchedule
from .tables import Column, Document, Table

PROFILE_FIELDS = ("id", "username", "email", "full_name", "role", "is_active", "email_verified",
                  "date_joined", "last_login")  # fmt: skip
SECRET_HINTS = ("password", "token", "secret", "hash", "key", "credential", "otp")


def personal_data(user) -> dict:
    """Return everything stored about `user` as one JSON-ready document."""
    return {
        "generated_at": iso_utc(timezone.now()),
        "profile": {f: _plain(getattr(user, f, None)) for f in PROFILE_FIELDS},
        "sessions": _sessions(user),
        "audit_events": [_audit(e) for e in audit_of(user)],
        "exports": [_export(j) for j in ExportJob.objects.filter(user=user)],
        "export_schedules": [_schedule(s) for s in ExportSchedule.objects.filter(user=user)],
    }


def personal_document(user) -> Document:
    """The same data as tables, for export_type 'personal_data' in any format."""
    data = personal_data(user)
    tables = [_table("profile", "Profile", [data["profile"]])]
    for name in ("sessions", "audit_events", "exports", "export_schedules"):
        tables.append(_table(name, name.replace("_", " ").capitalize(), data[name]))
    return Document("Personal data", {"user": user.username}, tables, single=False, charts=False)


def _table(name: str, title: str, records: list[dict]) -> Table:
    keys = list(dict.fromkeys(k for r in records for k in r)) or ["empty"]
    rows = [tuple(_cell(r.get(k)) for k in keys) for r in records]
    return Table(name, title, [Column(k, k) for k in keys], rows)


def _cell(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _sessions(user) -> list[dict]:
    """Rows of any accounts model holding login sessions for the user, minus secrets."""
    rows = []
    for model in apps.get_app_config("accounts").get_models():
        if "session" not in model.__name__.lower() or not _user_fk(model):
            continue
        names = [f.name for f in model._meta.concrete_fields if not _secret(f)]
        for obj in model.objects.filter(**{_user_fk(model): user}):
            rows.append({"kind": model.__name__} | {n: _plain(getattr(obj, n)) for n in names})
    return rows


def _user_fk(model) -> str | None:
    for f in model._meta.concrete_fields:
        if isinstance(f, models.ForeignKey) and f.related_model is user_model():
            return f.name
    return None


def user_model():
    return apps.get_model(settings.AUTH_USER_MODEL)


def _secret(field) -> bool:
    return isinstance(field, models.ForeignKey) or any(
        h in field.name.lower() for h in SECRET_HINTS
    )


def _plain(value):
    if hasattr(value, "isoformat"):
        return iso_utc(value)
    return (
        value
        if isinstance(value, str | int | float | bool | type(None) | dict | list)
        else str(value)
    )


def _audit(e) -> dict:
    return {"timestamp": iso_utc(e.created_at), "event_type": e.action, "severity": e.severity,
            "outcome": e.outcome, "ip_address": e.ip_address, "user_agent": e.user_agent,
            "target_type": e.target_type, "target_id": e.target_id, "details": e.details}  # fmt: skip


def _export(j: ExportJob) -> dict:
    return {"export_id": j.id, "export_type": j.export_type, "format": j.format, "status": j.status,
            "created_at": iso_utc(j.created_at), "record_count": j.record_count}  # fmt: skip


def _schedule(s: ExportSchedule) -> dict:
    return {"schedule_id": s.id, "name": s.name, "schedule": s.schedule,
            "export_config": s.export_config, "delivery": s.delivery}  # fmt: skip
