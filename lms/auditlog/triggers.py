"""The database refuses to change the audit log: UPDATE, DELETE (and TRUNCATE) raise.

Why triggers and not only "the app never updates": Django's own machinery (a cascading delete,
``QuerySet.update()``, ``flush``), an admin's SQL console or a bug would otherwise rewrite the
record silently. Someone with the rights to drop the triggers can still edit rows; the hash
chain and the signed checkpoints make that detectable (``verify_audit_log``).

Migration ``0002_append_only_triggers`` installs these statements; they are versioned here and
must never change (a new version gets new names and a new migration). The test suite's flush
(``tests/conftest.py``) drops and re-creates them around its own TRUNCATE, the one place where
emptying the log is legitimate.
"""

from __future__ import annotations

TABLES = (
    "auditlog_auditevent",
    "auditlog_eventfirm",
    "auditlog_eventperson",
    "auditlog_checkpoint",
)
MESSAGE = "the audit log is append-only"

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION auditlog_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION auditlog_refuse_change()"
        for table in TABLES
    ),
    *(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION auditlog_refuse_change()"
        for table in TABLES
    ),
]
POSTGRESQL_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES),
    *(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS auditlog_refuse_change()",
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}"
    for table in TABLES
    for op in ("UPDATE", "DELETE")
]


def _sqlite_install(tables: tuple[str, ...]) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} on {table} refused'); END"
        for table in tables
        for op in ("UPDATE", "DELETE")
    ]


SQLITE_INSTALL = _sqlite_install(TABLES)


def install_statements(vendor: str) -> list[str]:
    return {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, [])


def drop_statements(vendor: str) -> list[str]:
    return {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, [])


def install(schema_editor) -> None:
    for statement in install_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def drop(schema_editor) -> None:
    for statement in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def restore_sqlite(schema_editor, tables: tuple[str, ...]) -> None:
    """Put back the triggers of ``tables`` on SQLite after a migration rebuilt them: SQLite
    alters a column by copying the table, and the copy has no triggers. PostgreSQL alters in
    place and keeps them."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in tables:
        for op in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}", params=None)
    for statement in _sqlite_install(tables):
        schema_editor.execute(statement, params=None)
