"""UPDATE, DELETE and TRUNCATE on the audit log's tables are refused by the database."""

from django.db import migrations

from lms.auditlog import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor)


def drop(apps, schema_editor):
    triggers.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0001_initial")]

    operations = [migrations.RunPython(install, drop)]
