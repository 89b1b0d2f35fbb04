"""make run's preparation (kasamonitor/prepare.py, done by the web process before it
serves): migrate runs only when a migration on disk is not applied in the database, and
static files are collected again only when a source changed; both checked at every start.
The launcher itself holds no Django."""

from __future__ import annotations

import subprocess
import sys

import django.core.management
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from kasamonitor import prepare
from kasamonitor.prepare import collect_static


def _count_collectstatic(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = django.core.management.call_command

    def spy(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(django.core.management, "call_command", spy)
    return calls


def test_a_restart_with_unchanged_static_sources_skips_collectstatic(
    settings, tmp_path, monkeypatch
):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    calls = _count_collectstatic(monkeypatch)

    collect_static()
    collect_static()

    assert calls == ["collectstatic"]


def test_a_changed_static_source_is_collected_again(settings, tmp_path, monkeypatch):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    calls = _count_collectstatic(monkeypatch)
    collect_static()
    (settings.STATIC_ROOT / ".collected").write_text("sources of an older release")

    collect_static()

    assert calls == ["collectstatic", "collectstatic"]


def _count_migrate(monkeypatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(
        django.core.management, "call_command", lambda name, *a, **k: calls.append(name)
    )
    return calls


def test_a_restart_on_a_migrated_database_skips_migrate(db, monkeypatch):
    calls = _count_migrate(monkeypatch)

    assert prepare.unapplied_migrations() == []
    assert prepare.migrate() is False
    assert calls == []


def test_the_default_rows_are_still_ensured_as_migrate_would(db):
    """The worker calls ensure_defaults once the web process has prepared: a default
    schedule deleted by hand comes back, as it did when every start ran migrate."""
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(name="Poll devices").delete()

    prepare.ensure_defaults()

    assert PeriodicTask.objects.filter(name="Poll devices").exists()


def test_a_migration_not_applied_in_the_database_is_migrated(db, monkeypatch):
    calls = _count_migrate(monkeypatch)
    applied = MigrationRecorder(connection).migration_qs
    last = applied.filter(app="devices").order_by("-id").first()
    last.delete()  # as after an upgrade that brings a new migration (rolled back after)

    assert prepare.unapplied_migrations() == [("devices", last.name)]
    assert prepare.migrate() is True
    assert calls == ["migrate"]


def test_the_launcher_loads_neither_django_nor_celery():
    """make run's launcher only supervises: the web process prepares, and the launcher stays
    a small process (about 20 MiB instead of about 130)."""
    code = (
        "import sys, kasamonitor.run; "
        "print(sorted(m for m in ('django.db', 'celery', 'redis', 'kombu') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
