"""The index rows' reference to their event carries no database constraint and no index of its
own (see EventPerson).

On SQLite, altering the column rebuilds both tables without their append-only triggers: they
are put back. PostgreSQL alters in place and keeps them.
"""

import django.db.models.deletion
from django.db import migrations, models

from lms.auditlog import triggers

TABLES = ("auditlog_eventfirm", "auditlog_eventperson")


def restore_triggers(apps, schema_editor):
    triggers.restore_sqlite(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0005_actor_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="eventfirm",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="auditlog.auditevent",
            ),
        ),
        migrations.AlterField(
            model_name="eventperson",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="auditlog.auditevent",
            ),
        ),
        migrations.RunPython(restore_triggers, restore_triggers),
    ]
