"""Consistent snapshots of the live database and atomic loads back into it.

SQLite uses the online backup API (one step, so the copy is a single read transaction while
writers carry on under WAL); PostgreSQL uses pg_dump -Fc (one repeatable-read snapshot) and
loads through psql in one transaction.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection


class DatabaseError(Exception):
    """A dump or load tool failed; the message says which and why."""


def vendor() -> str:
    return connection.vendor


def snapshot_filename() -> str:
    return "db.sqlite3" if vendor() == "sqlite" else "db.pgdump"


def snapshot(dest: Path) -> None:
    """Write a consistent copy of the live database to dest while the system keeps running."""
    if vendor() == "sqlite":
        _sqlite_snapshot(dest)
    elif vendor() == "postgresql":
        _pg_run(["pg_dump", "-Fc", "-Z0", "--no-owner", "--no-privileges", "-f", str(dest)])
    else:
        raise DatabaseError(f"backups support SQLite and PostgreSQL, not {vendor()}")


def _sqlite_snapshot(dest: Path) -> None:
    source = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # pages=-1: one step, one consistent read snapshot
    finally:
        target.close()
        source.close()


def check_snapshot(path: Path, kind: str) -> set[tuple[str, str]]:
    """Raise DatabaseError unless the snapshot file is sound; return its applied migrations."""
    if kind == "sqlite":
        return _sqlite_check(path)
    return _pg_check(path)


def _sqlite_check(path: Path) -> set[tuple[str, str]]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise DatabaseError("the database snapshot is damaged (quick_check failed)")
            return set(db.execute("SELECT app, name FROM django_migrations").fetchall())
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"the database snapshot cannot be read: {exc}") from exc


def _pg_check(path: Path) -> set[tuple[str, str]]:
    """Read django_migrations' rows straight out of the dump (no database needed)."""
    cmd = [_which("pg_restore"), "--data-only", "--table=django_migrations", "-f", "-", str(path)]
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode:
        err = result.stderr.decode(errors="replace").strip()
        raise DatabaseError(f"pg_restore cannot read the dump: {err[:500]}")
    applied, in_copy = set(), False
    for line in result.stdout.decode(errors="replace").splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            in_copy = True
        elif line == "\\.":
            in_copy = False
        elif in_copy:
            _id, app, name, *_rest = line.split("\t")
            applied.add((app, name))
    return applied


def load(path: Path) -> None:
    """Replace the live database's contents with the snapshot, all or nothing."""
    if vendor() == "sqlite":
        _sqlite_load(path)
    else:
        _pg_load(path)


def _sqlite_load(path: Path) -> None:
    # The backup API copies every page into the live file inside one write transaction on the
    # connection Django uses, so other readers see the old database or the new one, never a mix.
    connection.ensure_connection()
    if connection.in_atomic_block:
        raise DatabaseError("a restore cannot run inside a transaction")
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise DatabaseError(f"SQLite refused the restore: {exc}") from exc
    finally:
        source.close()


# Drop what is there (tables a newer migration made too, so `migrate` can run afterwards),
# then load the dump, all inside psql's single transaction: any error rolls everything back.
_PG_PRELUDE = """
SET lock_timeout = '60s';
SET maintenance_work_mem = '256MB';
SET synchronous_commit = off;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
  END LOOP;
  FOR r IN SELECT sequence_name FROM information_schema.sequences
           WHERE sequence_schema = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.sequence_name);
  END LOOP;
END $$;
"""


def _pg_load(path: Path) -> None:
    connection.close()  # our own idle session must not hold locks the DROPs wait for
    prelude = path.with_suffix(".prelude.sql")
    prelude.write_text(_PG_PRELUDE)
    restore = subprocess.Popen(
        [_which("pg_restore"), "--no-owner", "--no-privileges", "-f", "-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _pg_run(
            ["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(prelude), "-f", "-"],
            stdin=restore.stdout,
        )
    finally:
        restore.stdout.close()
        restore_err = restore.stderr.read().decode(errors="replace")
        restore.wait()
    if restore.returncode:
        raise DatabaseError(f"pg_restore failed: {restore_err.strip()[:500]}")


def _pg_run(args: list[str], stdin=None) -> None:
    s = connection.settings_dict
    cmd = [_which(args[0]), *args[1:], "-h", s.get("HOST") or "127.0.0.1"]
    cmd += ["-p", str(s.get("PORT") or 5432), "-U", s.get("USER") or "postgres"]
    cmd += ["-d", s["NAME"]]
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or "", "PGCONNECT_TIMEOUT": "10"}
    _tool(cmd, env=env, stdin=stdin)


def _tool(cmd: list[str], env: dict | None = None, stdin=None) -> None:
    cmd[0] = _which(cmd[0])
    result = subprocess.run(cmd, env=env, stdin=stdin, capture_output=True, check=False)
    if result.returncode:
        err = result.stderr.decode(errors="replace").strip()
        raise DatabaseError(f"{Path(cmd[0]).name} failed: {err[:500]}")


def _which(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise DatabaseError(f"{tool} was not found on PATH (install the PostgreSQL client tools)")
    return found
