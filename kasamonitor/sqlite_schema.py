"""A new SQLite database made in one transaction instead of by 77 migrations.

`make run` on an empty data directory spent about 2 CPU seconds in `migrate` (every
migration module imported, every model state rendered, every table remade as SQLite's
ALTER TABLE needs) before its first answer. kasamonitor/sqlite_schema.sql holds what those
migrations leave in a new SQLite database — every table, index and trigger as SQLite
stored it, the django_migrations rows and the rows data migrations insert — and
prepare.py executes it when the database has no table at all. What `migrate` would do
next, post_migrate's default rows, the worker does as on every start (ensure_defaults).

The file is generated from a real run of the migrations (`make schema`), and
tests/kasamonitor/test_sqlite_schema.py fails when it no longer matches them: a new
migration means running `make schema` again. PostgreSQL always runs `migrate`.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("sqlite_schema.sql")
REGENERATE = "make schema"  # what to run after adding a migration
NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"  # django_migrations.applied: when it was made


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def dump(db: sqlite3.Connection) -> str:
    """The database as SQL that makes it again: the schema in the order SQLite stored it,
    then every row (django_migrations' `applied` as the time the script runs)."""
    lines = ["BEGIN;"]
    schema = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    lines += [f"{sql};" for _type, _name, sql in schema]
    for kind, table, _sql in schema:
        if kind != "table":
            continue
        cursor = db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')  # noqa: S608 (our names)
        columns = [column[0] for column in cursor.description]
        for row in cursor:
            values = [
                NOW if (table, column) == ("django_migrations", "applied") else _literal(value)
                for column, value in zip(columns, row, strict=True)
            ]
            lines.append(f'INSERT INTO "{table}" VALUES({",".join(values)});')
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
        # AUTOINCREMENT's counters, as they are (not only as the rows above would set them)
        lines.append("DELETE FROM sqlite_sequence;")
        for name, seq in db.execute("SELECT name, seq FROM sqlite_sequence ORDER BY name"):
            lines.append(f"INSERT INTO sqlite_sequence VALUES({_literal(name)},{seq});")
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def migrated(path: Path) -> None:
    """Run every migration into a new SQLite database at `path`, in a child process whose
    default database it is (data migrations write to the default database), as `migrate`
    does but without post_migrate (its default rows are the worker's, not the file's)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY_FILE")}
    env.update(
        DATABASE_URL=f"sqlite:///{path}",
        KASA_DATA_DIR=str(path.parent),
        SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="kasamonitor.settings",
    )
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from django.db.migrations.executor import MigrationExecutor\n"
        "executor = MigrationExecutor(connection)\n"
        "executor.migrate(executor.loader.graph.leaf_nodes())\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=Path(__file__).parents[1])


def generate() -> str:
    """The snapshot's text, from a real run of the migrations on a new database."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "migrated.sqlite3"
        migrated(path)
        with sqlite3.connect(path) as db:
            return dump(db)


def create(connection) -> bool:
    """Execute the snapshot in one transaction when `connection` is a SQLite database with
    no table at all (True); otherwise, or without the file, do nothing (False)."""
    if connection.vendor != "sqlite" or not SNAPSHOT.exists():
        return False
    connection.ensure_connection()
    db = connection.connection
    if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return False
    try:
        db.executescript(SNAPSHOT.read_text())
    except BaseException:
        if db.in_transaction:
            db.rollback()  # the database stays empty: the next start tries again
        raise
    return True


if __name__ == "__main__":  # make schema
    SNAPSHOT.write_text(generate())
    sys.stdout.write(f"wrote {SNAPSHOT}\n")
