"""The database itself refuses to change the audit log: UPDATE and DELETE on all four tables,
on PostgreSQL and SQLite, and TRUNCATE on PostgreSQL (SQLite has no TRUNCATE; its
``DELETE FROM t`` is refused like any DELETE)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from lms.auditlog import triggers
from lms.auditlog.checkpoints import take_checkpoint
from lms.auditlog.models import AuditEvent, Checkpoint, EventFirm, EventPerson

from .tamper import record_events

pytestmark = pytest.mark.django_db

MODELS = {
    "auditlog_auditevent": AuditEvent,
    "auditlog_eventfirm": EventFirm,
    "auditlog_eventperson": EventPerson,
    "auditlog_checkpoint": Checkpoint,
}
UPDATES = {
    "auditlog_auditevent": "UPDATE auditlog_auditevent SET subject_label = 'x'",
    "auditlog_eventfirm": "UPDATE auditlog_eventfirm SET firm_id = 999",
    "auditlog_eventperson": "UPDATE auditlog_eventperson SET person_id = 999",
    "auditlog_checkpoint": "UPDATE auditlog_checkpoint SET hash = 'x'",
}


@pytest.fixture
def rows(collector) -> dict[str, int]:
    """A row in each of the four tables; how many each holds."""
    record_events(2, firms=[7], persons=[collector])
    take_checkpoint()
    counts = {table: model.objects.count() for table, model in MODELS.items()}
    assert all(counts.values()), counts
    return counts


def refused(sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)


def installed_triggers() -> dict[str, set[tuple[str, str]]]:
    """The triggers the database catalogue lists per table: (trigger name, its definition)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'"
            )
        else:
            cursor.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'")
        found: dict[str, set[tuple[str, str]]] = {}
        for table, name, definition in cursor.fetchall():
            found.setdefault(table, set()).add((name, " ".join(definition.upper().split())))
    return found


def test_the_migration_installed_the_triggers_on_all_four_tables():
    assert set(MODELS) == set(triggers.TABLES)
    found = installed_triggers()
    for table in MODELS:
        definitions = found.get(table, set())
        names = {name for name, _ in definitions}
        if connection.vendor == "postgresql":
            assert {f"{table}_append_only", f"{table}_no_truncate"} <= names, table
            by_name = dict(definitions)
            row = by_name[f"{table}_append_only"]
            assert "BEFORE DELETE OR UPDATE" in row or "BEFORE UPDATE OR DELETE" in row, row
            assert "FOR EACH ROW EXECUTE FUNCTION AUDITLOG_REFUSE_CHANGE()" in row, row
            statement = by_name[f"{table}_no_truncate"]
            assert "BEFORE TRUNCATE" in statement, statement
            assert "AUDITLOG_REFUSE_CHANGE()" in statement, statement
        else:
            assert {f"{table}_no_update", f"{table}_no_delete"} <= names, table
            text = " ".join(definition for _, definition in definitions)
            assert f"BEFORE UPDATE ON {table.upper()}" in text, text
            assert f"BEFORE DELETE ON {table.upper()}" in text, text
            assert "RAISE(ABORT" in text, text


@pytest.mark.parametrize("table", triggers.TABLES)
def test_update_is_refused(rows, table):
    refused(UPDATES[table])
    assert MODELS[table].objects.count() == rows[table]


@pytest.mark.parametrize("table", triggers.TABLES)
def test_delete_is_refused(rows, table):
    refused(f"DELETE FROM {table}")
    assert MODELS[table].objects.count() == rows[table]


@pytest.mark.parametrize("table", triggers.TABLES)
def test_the_orm_cannot_update_or_delete_either(rows, table):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        MODELS[table].objects.all().delete()
    first = MODELS[table].objects.order_by("pk").first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        first.save()  # an UPDATE of an existing row
    assert MODELS[table].objects.count() == rows[table]


@pytest.mark.parametrize("table", triggers.TABLES)
def test_truncate_is_refused_on_postgresql(rows, table):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with connection.cursor() as cursor:  # no pending foreign-key checks from the fixture
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    refused(f"TRUNCATE {table} CASCADE")
    assert MODELS[table].objects.count() == rows[table]


def test_inserting_is_allowed_and_dropping_the_triggers_is_what_it_takes(rows):
    """The point of the tamper tests: without the triggers the rows can change."""
    record_events(1)
    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)
        cursor.execute(UPDATES["auditlog_auditevent"])
    assert set(AuditEvent.objects.values_list("subject_label", flat=True)) == {"x"}
