"""Drop two indexes that another index already covers (issue 17, the million-collector
recompute): ``collectorrating(firm_id)``, covered by ``rating_firm_grade_idx (firm_id, grade)``,
and ``ratingsnapshot(user_id)``, covered by ``snapshot_user_time_idx (user_id, created_at)``.
Neither served a query the other cannot, and the nightly recompute paid for both on each of a
million rows it writes.

Django's ``AlterField(db_index=False)`` would also drop and re-add the foreign key, validating
every row under a lock; only the index goes here: the model state changes, and the database
drops the index concurrently on PostgreSQL (a non-atomic migration), plainly elsewhere. The
index names are Django's own for a foreign key's index, computed, not copied.
"""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXED = [("compliance_collectorrating", "firm_id"), ("compliance_ratingsnapshot", "user_id")]


def _names(schema_editor) -> list[str]:
    return [
        schema_editor._create_index_name(table, [column], suffix="") for table, column in INDEXED
    ]


def drop(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in _names(schema_editor):
        schema_editor.execute(
            f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}"
        )


def create(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    quote = schema_editor.quote_name
    for (table, column), name in zip(INDEXED, _names(schema_editor), strict=True):
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {quote(name)} "
            f"ON {quote(table)} ({quote(column)})"
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0007_firm_admission_expiry_and_ban_confirmation"),
        ("compliance", "0011_rating_input_fingerprint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="collectorrating",
                    name="firm",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="collector_ratings",
                        to="accounts.firm",
                        verbose_name="firm",
                    ),
                ),
                migrations.AlterField(
                    model_name="ratingsnapshot",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rating_snapshots",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="collector",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, create, elidable=False)],
        )
    ]
