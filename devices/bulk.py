"""Many rows in one go, for the poller and bulk imports (hundreds to millions of rows).

Django's bulk_create/bulk_update build a model instance and SQL per row (~40 µs), and one
statement per row costs PostgreSQL a round of parsing and planning each. So: PostgreSQL
gets every column as one array (`unnest`) in a single statement, or a COPY; SQLite, which
runs in process, one executemany of the plain statement. Columns are given by their
database column names; values are plain Python values (aware datetimes, dates, numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import connection, models


def insert(model: type[models.Model], columns: list[str], rows: Iterable[Sequence]) -> None:
    """INSERT the rows (tuples in `columns` order)."""
    table, names = _quoted(model, columns)
    with connection.cursor() as cursor:
        if _postgresql():
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        values = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({values})", _prepared(model, columns, rows)
        )


def upsert(
    model: type[models.Model],
    columns: list[str],
    rows: Sequence[Sequence],
    *,
    conflict: list[str],
    updates: list[str],
) -> None:
    """INSERT the rows; where `conflict` columns clash, apply `updates` (SQL assignments that
    may use the table's name for the stored row and `excluded` for the new one)."""
    if not rows:
        return
    table, names = _quoted(model, columns)
    tail = f"ON CONFLICT ({', '.join(_quote(c) for c in conflict)}) DO UPDATE SET " + ", ".join(
        updates
    )
    with connection.cursor() as cursor:
        if _postgresql():
            source, arrays = _unnest(model, columns, rows)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM {source} {tail}", arrays)
            return
        values = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({values}) {tail}",
            _prepared(model, columns, rows),
        )


def update(model: type[models.Model], columns: list[str], rows: Sequence[Sequence]) -> None:
    """UPDATE rows by primary key; each row is (*values in `columns` order, pk)."""
    if not rows:
        return
    table, _ = _quoted(model, columns)
    pk = _quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if _postgresql():
            source, arrays = _unnest(model, [*columns, model._meta.pk.column], rows)
            sets = ", ".join(f"{_quote(c)} = u.{_quote(c)}" for c in columns)
            cursor.execute(f"UPDATE {table} SET {sets} FROM {source} WHERE {table}.{pk} = u.{pk}",
                           arrays)  # fmt: skip
            return
        sets = ", ".join(f"{_quote(c)} = %s" for c in columns)
        cursor.executemany(
            f"UPDATE {table} SET {sets} WHERE {pk} = %s",
            _prepared(model, [*columns, model._meta.pk.column], rows),
        )


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _quoted(model, columns: list[str]) -> tuple[str, str]:
    return _quote(model._meta.db_table), ", ".join(_quote(c) for c in columns)


def _fields(model, columns: list[str]) -> list[models.Field]:
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [by_column[c] for c in columns]


def _unnest(model, columns: list[str], rows: Sequence[Sequence]) -> tuple[str, list[list]]:
    """`unnest(%s::type[], …) AS u(col, …)` and its arrays: one parameter per column."""
    types = [_array_type(f) for f in _fields(model, columns)]
    arrays = [list(values) for values in zip(*rows, strict=True)]
    casts = ", ".join(f"%s::{t}[]" for t in types)
    return f"unnest({casts}) AS u({', '.join(_quote(c) for c in columns)})", arrays


def _array_type(field: models.Field) -> str:
    if isinstance(field, models.ForeignKey):
        return field.target_field.rel_db_type(connection)
    return field.db_type(connection)


def _prepared(model, columns: list[str], rows: Iterable[Sequence]) -> list[list]:
    """Rows with each value as the SQLite driver wants it (datetimes and dates adapted)."""
    adapt = [_adapter(f) for f in _fields(model, columns)]
    return [[a(v) if a else v for a, v in zip(adapt, row, strict=True)] for row in rows]


def _adapter(field: models.Field) -> Callable | None:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: connection.ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    return None
