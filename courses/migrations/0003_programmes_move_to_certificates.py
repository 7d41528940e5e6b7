"""Certification programmes and programme assignments now belong to the ``certificates`` app.

State only: ``certificates.0001_initial`` took the models over with their tables (which keep
their names), so the database is not touched here. See that migration for why.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_programmes_and_assignments"),
        ("certificates", "0001_initial"),
        # The certificates' models pointed at programmes: they leave the state first.
        ("exams", "0007_certificates_move_to_their_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ProgrammeAssignment"),
                migrations.DeleteModel(name="CertificationProgramme"),
            ],
            database_operations=[],
        )
    ]
