"""`make run`'s preparation of the database and the static files, done by the web process
right after its own Django set-up (so a restart pays for one Django start, not two), before
it serves anything; the launcher starts the worker once it is done (kasamonitor/run.py).

Both steps are skipped when nothing changed, and that is checked at every start:

- a new SQLite database (no table at all) is made from a snapshot of what the migrations
  create, in one transaction (kasamonitor/sqlite_schema.py): about 10 ms instead of about
  2 CPU seconds of migrate.
- migrate runs when a migration on disk is not recorded as applied in this database (the
  migration files' names are listed, none is imported, and the database's
  django_migrations table is read: one query). When all are applied, what migrate would
  still have done — the post_migrate signal, with which apps create their default rows
  (beat schedules, role groups) if they are missing — is left to the worker
  (ensure_defaults, kasamonitor/celery.py), off the way to the web process's first answer.
- collectstatic runs when a static source file's name, size or modification time differs
  from the last collection's (no file is read; a stamp in STATIC_ROOT). STATIC_ROOT is the
  installation's (./staticfiles), not the data directory's, and the Makefile's install
  step collects into it: a new data directory finds the files collected.
"""

from __future__ import annotations

import hashlib
import os
import pkgutil
from importlib import import_module
from pathlib import Path


def unapplied_migrations(connection=None) -> list[tuple[str, str]]:
    """(app label, migration name) of every migration file on disk that this database has
    not recorded as applied; [] when migrate has nothing to do."""
    from django.apps import apps
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    connection = connection or connections[DEFAULT_DB_ALIAS]
    recorder = MigrationRecorder(connection)
    applied = set()
    if recorder.has_table():  # read on this connection (the ORM would use its alias's)
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    missing = []
    for config in apps.get_app_configs():
        module_name, _explicit = MigrationLoader.migrations_module(config.label)
        if module_name is None:
            continue
        try:
            package = import_module(module_name)
        except ModuleNotFoundError:
            continue
        if not hasattr(package, "__path__"):
            continue
        for info in pkgutil.iter_modules(package.__path__):
            if info.ispkg or info.name.startswith(("_", "~")):
                continue
            if (config.label, info.name) not in applied:
                missing.append((config.label, info.name))
    return missing


def create_schema() -> bool:
    """A SQLite database with no table at all is made from kasamonitor/sqlite_schema.sql
    in one transaction (True), not by running every migration; migrate() then finds
    nothing to do unless a migration came after the file."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from kasamonitor import sqlite_schema

    return sqlite_schema.create(connections[DEFAULT_DB_ALIAS])


def migrate() -> bool:
    """Run migrate when a migration is unapplied (True), else nothing (False)."""
    from django.core.management import call_command

    if unapplied_migrations():
        call_command("migrate", interactive=False, verbosity=0)
        return True
    return False


def ensure_defaults() -> None:
    """Send post_migrate as migrate does at its end: the apps create their default rows
    (beat schedules, role groups) when missing, and keep the ones admins edited."""
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import DEFAULT_DB_ALIAS

    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)


def static_fingerprint() -> str:
    """Hash every static source file's name, size and mtime (no file is read)."""
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static() -> bool:
    """Run collectstatic unless the sources are unchanged since the last run (True if run).

    Hashing every file for the manifest (plotly.min.js alone is megabytes) cost most of a
    CPU second at every start; a restart on unchanged sources skips it.
    """
    import fcntl

    from django.conf import settings
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    stamp = root / ".collected"
    fingerprint = static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    root.mkdir(parents=True, exist_ok=True)
    # STATIC_ROOT belongs to the installation, not to a data directory: several `make run`s
    # (other data directories, the test suite's) may find the same sources changed at once.
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == fingerprint:
            return False  # collected by another process meanwhile
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(fingerprint)
    return True


def prepare() -> dict[str, bool]:
    """Migrate and collect static as needed (Django set up); say which ran."""
    from django.db import connections

    done = {"schema": create_schema(), "migrate": migrate(), "collectstatic": collect_static()}
    connections.close_all()
    return done


def prepare_for_launcher() -> bool:
    """In a process `make run` started: prepare, then create the file the worker waits for
    ($KASA_PREPARED_FILE) before it takes tasks. Nothing without that variable. True when
    migrate ran (serve.py then starts the server in a fresh process)."""
    marker = os.environ.get("KASA_PREPARED_FILE")
    if not marker:
        return False
    import logging

    done = prepare()
    logging.getLogger("kasamonitor.prepare").info(
        "prepared", extra={"ran": [step for step, ran in done.items() if ran] or "nothing"}
    )
    Path(marker).touch()
    return done["migrate"]


if __name__ == "__main__":
    # serve.py's child when WEB_WORKERS > 1 (their parent stays small); `static`: the
    # Makefile's install step, so that make run's first start finds the files collected.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
    import sys

    import django

    if sys.argv[1:] == ["static"]:
        from kasamonitor.run import data_dir, ensure_secret_key

        ensure_secret_key(data_dir())  # settings want a key, as with manage.py
        django.setup()
        collect_static()
    else:
        django.setup()
        prepare_for_launcher()
