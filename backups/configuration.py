"""The configuration part of a backup: system config, rate plans and schedules as JSON.

Models are found by label at run time, so the file follows whatever the other apps define
(billing is written in parallel) and a missing app simply contributes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

# "app" takes every model of the app; "app.Model" one model. Settings only: billing's stored
# costs are data, priced from the readings by the plans, and grow by one row per device and
# hour (a year of 10 devices: 87,600 rows, ~250 MiB when serialized here in one piece, which
# got backups killed under a 400 MiB cap). They travel in the database snapshot, and a
# restore of the plans prices again (load below).
CONFIG_MODELS = ("system.SystemConfig", "billing.RatePlan", "billing.GridIntensity",
                 "backups.BackupSchedule", "exports.*Schedule")  # fmt: skip
# Restoring these re-prices every stored hour (their costs and grams of CO2 follow them).
PRICED_BY = {"billing.rateplan", "billing.gridintensity"}
# Models that moved between apps: archives written before the move name the old label.
MOVED = {"devices.systemconfig": "system.systemconfig"}


def config_models() -> list:
    """Return the configuration models present in this install, parents before children."""
    found = []
    tables = set(connection.introspection.table_names())
    for label in CONFIG_MODELS:
        app_label, _, model_name = label.partition(".")
        if app_label in apps.app_configs:
            models = apps.get_app_config(app_label).get_models()
            found += [
                m for m in models if _matches(m.__name__, model_name) and m._meta.db_table in tables
            ]
    return serializers.sort_dependencies([(None, found)], allow_cycles=True)


def _matches(name: str, pattern: str) -> bool:
    if not pattern:
        return True
    if pattern.startswith("*"):
        return name.endswith(pattern[1:])
    return name == pattern


def dump(dest: Path) -> None:
    """Write the configuration rows as {"app.model": [objects]} JSON."""
    data = {
        model._meta.label_lower: serializers.serialize("python", model._default_manager.all())
        for model in config_models()
    }
    dest.write_text(json.dumps(data, cls=DjangoJSONEncoder, indent=1))


def _read(path: Path) -> dict:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError("config.json is not a JSON object")
    for old, new in MOVED.items():
        if old in data and new not in data:
            rows = data.pop(old)
            data[new] = [{**r, "model": new} if isinstance(r, dict) else r for r in rows]
    return data


def check(path: Path) -> None:
    """Raise if the file's rows do not deserialize into this version's models (no writes)."""
    data = _read(path)
    for model in config_models():
        for _obj in serializers.deserialize("python", data.get(model._meta.label_lower, [])):
            pass


def load(path: Path) -> list[str]:
    """Replace the configuration rows with the file's, in one transaction; return the models."""
    data = _read(path)
    models = [m for m in config_models() if m._meta.label_lower in data]
    with transaction.atomic():
        for model in reversed(models):
            model._default_manager.all().delete()
        for model in models:
            for obj in serializers.deserialize("python", data[model._meta.label_lower]):
                _drop_dangling(obj.object, models)
                obj.save()
        if any(m._meta.label_lower in PRICED_BY for m in models):
            from billing.selectors import EPOCH
            from billing.services import request_reprice

            # The stored costs and grams came from the plans and the intensity just replaced:
            # price every hour again.
            request_reprice(EPOCH, "rate plans and grid intensity restored from a backup")
    return [m._meta.label_lower for m in models]


def _drop_dangling(instance, restored: list) -> None:
    # Links outside the configuration (a schedule's beat task, a plan's author) may not exist
    # in this database; nullable ones are cleared instead of failing the whole restore.
    for field in instance._meta.concrete_fields:
        target = field.related_model
        if not field.is_relation or not field.null or target in restored:
            continue
        value = getattr(instance, field.attname)
        if value is not None and not target._default_manager.filter(pk=value).exists():
            setattr(instance, field.attname, None)
