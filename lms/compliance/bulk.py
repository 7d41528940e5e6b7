"""Writing many rows at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

The nightly rating recompute may write a hundred thousand ratings and as many snapshots, each
with two JSON documents, and the benchmark's ``seed_bench`` (``bench/``, installed only for
tests and benchmarks) writes a million rows. Django's ``bulk_create`` on PostgreSQL sends rows as
array literals that the client quotes value by value, which costs more than computing the
ratings; ``COPY`` streams them instead, several times faster. Rows that need
ids take them from the table's sequence first (one query), so nothing is read back; upserts go
through a temporary staging table (``INSERT ... SELECT ... ON CONFLICT DO UPDATE``). Other
databases (SQLite in development and tests) use ``bulk_create`` with the same result.

Rows are sequences of values in the order of ``fields`` (field names or attnames, e.g.
``"user_id"``). JSON fields accept a dict or already-serialised JSON text. Model fields not
listed get their defaults, as ``Model()`` would give them (callable defaults once per row).
No signals are sent and ``save()`` is not called, as with ``bulk_create``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, models
from django.db.models import DateTimeField

BATCH = 5000  # rows per INSERT where COPY is not available


def insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    returning_ids: bool = False,
) -> list[int]:
    """Insert ``rows``; returns their primary keys in order when ``returning_ids``."""
    rows = list(rows)
    if not rows:
        return []
    if connection.vendor == "sqlite":
        return _sqlite_insert(model, fields, rows, returning_ids)
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create(
            _instances(model, fields, rows), batch_size=BATCH
        )
        return [obj.pk for obj in created] if returning_ids else []
    plan = _Plan(model, fields)
    ids: list[int] = []
    with connection.cursor() as cursor:
        columns = plan.columns
        if returning_ids:
            pk = _column(model._meta.pk)
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = [pk, *columns]
        with cursor.cursor.copy(_copy_sql(model._meta.db_table, columns)) as copy:
            if returning_ids:
                for pk_value, row in zip(ids, rows, strict=True):
                    copy.write_row([pk_value, *plan.copy_values(row)])
            else:
                for row in rows:
                    copy.write_row(plan.copy_values(row))
    return ids


def upsert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence], *, conflict: str
) -> None:
    """Insert ``rows``, replacing the listed fields of rows whose ``conflict`` field (unique)
    already exists."""
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        names = [model._meta.get_field(name).name for name in fields]
        model._default_manager.bulk_create(
            _instances(model, fields, rows),
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=[model._meta.get_field(conflict).name],
            update_fields=[name for name in names if name != model._meta.get_field(conflict).name],
        )
        return
    quote = connection.ops.quote_name
    plan = _Plan(model, fields)
    table = model._meta.db_table
    stage = f"{table}_stage"
    key = column_of(model, conflict)
    listed = ", ".join(quote(column) for column in plan.columns)
    updates = ", ".join(
        f"{quote(column)} = EXCLUDED.{quote(column)}"
        for column in plan.given_columns
        if column != key
    )
    with connection.cursor() as cursor:
        # Session-local; emptied at commit, and after use in case of several per transaction.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(stage)} (LIKE {quote(table)}) "
            "ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(_copy_sql(stage, plan.columns)) as copy:
            for row in rows:
                copy.write_row(plan.copy_values(row))
        cursor.execute(
            f"INSERT INTO {quote(table)} ({listed}) SELECT {listed} FROM {quote(stage)} "
            f"ON CONFLICT ({quote(key)}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"TRUNCATE {quote(stage)}")


def _sqlite_insert(
    model: type[models.Model], fields: Sequence[str], rows: list[Sequence], returning_ids: bool
) -> list[int]:
    """One prepared INSERT run for every row (no model instances: several times faster than
    ``bulk_create``). The rows' ids are consecutive: nothing else can write to the database
    while this statement holds SQLite's write lock."""
    quote = connection.ops.quote_name
    plan = _Plan(model, fields)
    prepared = [plan.prepared(row) for row in rows]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(column) for column in plan.columns)}) "
        f"VALUES ({', '.join(['%s'] * len(plan.columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
        if not returning_ids:
            return []
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
    return list(range(last - len(rows) + 1, last + 1))


def _concrete(model: type[models.Model], name: str) -> models.Field:
    """The field ``name`` of ``model``, which holds a column: rows are written column by column,
    so a reverse relation (which ``get_field`` may also return) is never named."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a concrete field"
    return field


def column_of(model: type[models.Model], name: str) -> str:
    """The database column of ``model``'s concrete field ``name``."""
    return _column(_concrete(model, name))


def _column(field: models.Field) -> str:
    assert field.column is not None, f"{field} has no column"
    return field.column


def _copy_sql(table: str, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


def _instances(model: type[models.Model], fields: Sequence[str], rows: list[Sequence]) -> list:
    attnames = [_concrete(model, name).attname for name in fields]
    json_positions = [
        i
        for i, name in enumerate(fields)
        if isinstance(model._meta.get_field(name), models.JSONField)
    ]
    instances = []
    for row in rows:
        values = list(row)
        for i in json_positions:
            if isinstance(values[i], str):
                values[i] = json.loads(values[i])
        instances.append(model(**dict(zip(attnames, values, strict=True))))
    return instances


class _Plan:
    """How to turn a row into COPY values: the given fields, then every other concrete field
    (but an auto primary key) with its default — constant ones first, then callable ones."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        given = [_concrete(model, name) for name in fields]
        names = {field.name for field in given}
        pk = model._meta.pk
        rest = [
            field
            for field in model._meta.concrete_fields
            if field.name not in names and not (field is pk and isinstance(field, models.AutoField))
        ]
        constant = [field for field in rest if not callable(field.default)]
        self.callables = [field for field in rest if callable(field.default)]
        self.fields: list[models.Field] = [*given, *constant, *self.callables]  # column order
        self.given_columns = [_column(field) for field in given]
        self.columns = self.given_columns + [_column(f) for f in constant + self.callables]
        self.json = [i for i, field in enumerate(given) if isinstance(field, models.JSONField)]
        # Choices may come as enum members; psycopg wants their values.
        self.choices = [i for i, field in enumerate(given) if field.choices]
        self.constant = tuple(_default(field) for field in constant)
        self.datetimes = [i for i, field in enumerate(given) if isinstance(field, DateTimeField)]
        self.texts: dict[datetime, str] = {}

    def copy_values(self, row: Sequence) -> list:
        """:meth:`values` for COPY, in one pass, and aware datetimes as ISO text, each distinct
        one formatted once: rows written together share most of theirs (the time of the run,
        the start of the next day), and psycopg formats a datetime several times slower than it
        copies a string."""
        values = list(row)
        for i in self.choices:
            values[i] = _adapt(values[i])
        for i in self.json:
            if values[i] is not None and not isinstance(values[i], str):
                values[i] = _dumps(values[i])
        texts = self.texts
        for i in self.datetimes:
            value = values[i]
            if value is not None and value.tzinfo is not None:
                text = texts.get(value)
                if text is None:
                    text = texts[value] = value.isoformat()
                values[i] = text
        values.extend(self.constant)
        if self.callables:
            values.extend(_default(field) for field in self.callables)
        return values

    def values(self, row: Sequence) -> tuple:
        if not (self.json or self.choices or self.callables):
            return (*row, *self.constant)
        values = list(row)
        for i in self.choices:
            values[i] = _adapt(values[i])
        for i in self.json:
            if values[i] is not None and not isinstance(values[i], str):
                values[i] = _dumps(values[i])
        values.extend(self.constant)
        values.extend(_default(field) for field in self.callables)
        return tuple(values)

    def prepared(self, row: Sequence) -> list:
        """The row's values as the database driver takes them (SQLite and others)."""
        values = list(self.values(row))
        for i, field in enumerate(self.fields):
            value = values[i]
            if isinstance(field, models.JSONField):
                continue  # already JSON text (or None)
            values[i] = field.get_db_prep_save(value, connection)
        return values


def _default(field: models.Field) -> object:
    value = _adapt(field.get_default())
    if isinstance(field, models.JSONField) and value is not None:
        return _dumps(value)
    return value


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _adapt(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    return value
