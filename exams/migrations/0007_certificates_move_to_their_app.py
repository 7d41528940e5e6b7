"""Issuance requests, certificates and reminders now belong to the ``certificates`` app.

State only: ``certificates.0001_initial`` took the models over with their tables (which keep
their names), so the database is not touched here. See that migration for why.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0006_exam_open_to_anyone"),
        ("certificates", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CertificateReminder"),
                migrations.RemoveField(model_name="issuancerequest", name="renews"),
                migrations.DeleteModel(name="Certificate"),
                migrations.DeleteModel(name="IssuanceRequest"),
            ],
            database_operations=[],
        )
    ]
