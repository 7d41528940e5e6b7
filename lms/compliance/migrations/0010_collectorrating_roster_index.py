"""A covering index for the roster and the API list (issue 17, big firms), PostgreSQL only.

Both read four columns of every rating in a scope (20,000 for a lender with 20 agencies); the
table's rows carry two JSON documents each, so a sequential scan reads some thirty times the
pages an index-only scan of ``(user_id) INCLUDE (...)`` does. SQLite has no INCLUDE (Django
would warn on every start, models.W040), so the index lives here rather than in the model's
Meta: the model state is unchanged and ``makemigrations --check`` stays clean. Built
concurrently (no lock on the nightly recompute's writes), hence a non-atomic migration.

A concurrent build that fails (a cancelled statement, a deadlock, the deploy killed) leaves the
index behind marked INVALID: never used for reads, still maintained on every write. ``IF NOT
EXISTS`` would keep it for good, so an invalid one is dropped before the build is run again.
"""

from __future__ import annotations

from django.db import migrations

CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS rating_roster_idx "
    "ON compliance_collectorrating (user_id) "
    "INCLUDE (grade, score, certificate_status, certificate_expires_at)"
)
DROP = "DROP INDEX CONCURRENTLY IF EXISTS rating_roster_idx"
IS_INVALID = (
    "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE c.relname = 'rating_roster_idx' AND pg_table_is_visible(c.oid)"
)


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(IS_INVALID)
        row = cursor.fetchone()
    if row is not None and row[0]:
        schema_editor.execute(DROP)  # left INVALID by a failed concurrent build
    schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("compliance", "0009_monthly_report_private_storage")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
