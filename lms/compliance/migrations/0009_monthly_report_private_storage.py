"""Monthly report PDFs move to private storage: they name a firm's collectors and findings, and
the media folder is served to anyone by the proxy (under a guessable name). Files already
written are moved with their names, so each row still finds its PDF.

Safe to run again after an interruption: a PDF already copied (same name, same size in private
storage) only has its public copy deleted; a private file of another size is left alone with the
public one, for a person to look at, rather than overwritten or lost."""

from django.core.files.storage import default_storage, storages
from django.db import migrations, models

import lms.storage


def move_to_private_storage(apps, schema_editor):
    MonthlyReport = apps.get_model("compliance", "MonthlyReport")
    private = storages["private"]
    names = MonthlyReport.objects.exclude(pdf="").values_list("pdf", flat=True)
    for name in names.iterator():
        if not default_storage.exists(name):
            continue
        if private.exists(name):
            # Copied by an earlier, interrupted run: the public copy must still go.
            if private.size(name) == default_storage.size(name):
                default_storage.delete(name)
            continue
        with default_storage.open(name, "rb") as source:
            saved = private.save(name, source)
        assert saved == name, f"{name} was saved as {saved}"
        default_storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0008_webhook_event_firm_status_changed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="monthlyreport",
            name="pdf",
            field=models.FileField(
                blank=True,
                max_length=200,
                storage=lms.storage.private_storage,
                upload_to="compliance/reports/%Y/",
                verbose_name="PDF",
            ),
        ),
        migrations.RunPython(move_to_private_storage, migrations.RunPython.noop, elidable=True),
    ]
