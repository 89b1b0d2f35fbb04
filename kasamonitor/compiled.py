"""A primary-key lookup whose SQL Django compiles once per database connection.

Compiling a query costs the ORM about 0.5 ms of Python, which is more than SQLite takes to
run a primary-key lookup and as much as a PostgreSQL round trip: for the one query every
authenticated API request makes (its login session with the user), that was a fifth of
GET /api/devices. CompiledGet keeps the SQL, the column converters and the row-to-object
mapping Django worked out the first time, and runs only the query afterwards; the objects
it returns are those `queryset.get(pk=…)` returns (select_related included).
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Compiled:
    sql: str
    compiler: Any  # the SQLCompiler, for its converters (bound to this connection)
    converters: dict
    names: list[str]  # the model's attnames, in the selected columns' order
    width: int
    populators: list


class CompiledGet:
    """`queryset.get(pk=…)` with the SQL compiled once per connection (thread)."""

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset.order_by()  # a lookup by primary key needs no ordering
        self.model = queryset.model
        # weak: a connection closed and replaced (CONN_MAX_AGE) takes its entry with it
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, pk):
        db = self.queryset.db
        connection = connections[db]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(db, connection)
        param = self.model._meta.pk.get_db_prep_value(pk, connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, (param,))
            row = cursor.fetchone()
        if row is None:
            raise self.model.DoesNotExist(f"{self.model.__name__} matching query does not exist.")
        if compiled.converters:
            row = next(compiled.compiler.apply_converters([row], compiled.converters))
        obj = self.model.from_db(db, compiled.names, row[: compiled.width])
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj

    def _compile(self, db: str, connection) -> _Compiled:
        probe = self._probe_value()
        compiler = self.queryset.filter(pk=probe).query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        expected = self.model._meta.pk.get_db_prep_value(probe, connection, prepared=False)
        if list(params) != [expected]:  # the pk must be the query's only parameter
            raise ValueError(f"cannot compile {self.queryset.query} as a single-pk lookup")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        if start != 0:
            raise ValueError("the model's own columns must come first")
        return _Compiled(
            sql=sql,
            compiler=compiler,
            converters=compiler.get_converters([column for column, _, _ in select]),
            names=[f[0].target.attname for f in select[start:end]],
            width=end,
            populators=get_related_populators(klass_info, select, db),
        )

    def _probe_value(self):
        internal = self.model._meta.pk.get_internal_type()
        return uuid.UUID(int=0x5E55) if internal == "UUIDField" else 2_147_480_001
