"""make run makes a new SQLite database from kasamonitor/sqlite_schema.sql in one
transaction instead of running every migration: the file must be exactly what the
migrations make (tables, indexes, triggers, django_migrations, rows data migrations
insert), and a database that has any table is left to migrate."""

from __future__ import annotations

import sqlite3

import pytest
from django.db.utils import ConnectionHandler

from kasamonitor import prepare, sqlite_schema


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A new SQLite database made by running every migration, dumped as SQL."""
    path = tmp_path_factory.mktemp("migrated") / "migrated.sqlite3"
    sqlite_schema.migrated(path)
    with sqlite3.connect(path) as db:
        return sqlite_schema.dump(db)


@pytest.fixture
def sqlite(django_db_blocker):
    """A Django connection to a SQLite file of the test's own (not the test database), with
    make run's options (WAL, IMMEDIATE)."""
    opened = []

    def connect(path):
        handler = ConnectionHandler(
            {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path),
                         "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;",
                                     "transaction_mode": "IMMEDIATE"}}}
        )  # fmt: skip
        opened.append(handler["default"])
        return opened[-1]

    with django_db_blocker.unblock():
        yield connect
        for connection in opened:
            connection.close()


def test_the_schema_file_is_what_the_migrations_make(migrated):
    assert sqlite_schema.SNAPSHOT.read_text() == migrated, (
        f"{sqlite_schema.SNAPSHOT.name} no longer matches the migrations (a migration was "
        f"added or changed): run `{sqlite_schema.REGENERATE}` and commit the file"
    )


def test_an_empty_database_is_made_from_the_file_and_equals_a_migrated_one(
    migrated, sqlite, tmp_path
):
    connection = sqlite(tmp_path / "new.sqlite3")

    assert sqlite_schema.create(connection) is True

    assert sqlite_schema.dump(connection.connection) == migrated
    assert prepare.unapplied_migrations(connection) == []  # migrate has nothing to do


def test_a_database_with_any_table_is_left_to_migrate(sqlite, tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE django_migrations (id integer PRIMARY KEY, app, name, applied)")
    connection = sqlite(path)

    assert sqlite_schema.create(connection) is False

    tables = connection.connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("django_migrations",)]
    assert ("devices", "0001_initial") in prepare.unapplied_migrations(connection)


def test_a_failing_file_leaves_the_database_empty(sqlite, tmp_path, monkeypatch):
    """A half-made database would be neither empty (no second try) nor migrated."""
    broken = tmp_path / "broken.sql"
    text = sqlite_schema.SNAPSHOT.read_text().replace("COMMIT;", "INSERT INTO nowhere VALUES(1);")
    broken.write_text(text)
    monkeypatch.setattr(sqlite_schema, "SNAPSHOT", broken)
    connection = sqlite(tmp_path / "new.sqlite3")

    with pytest.raises(sqlite3.OperationalError):
        sqlite_schema.create(connection)

    tables = connection.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert tables == (0,)


@pytest.mark.django_db
def test_the_configured_database_once_migrated_is_not_made_again():
    """The test database (SQLite or PostgreSQL) has its tables: nothing is executed."""
    assert prepare.create_schema() is False
    assert prepare.migrate() is False
