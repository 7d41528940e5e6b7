"""Evidence keeps the type detected from its content; existing files are sniffed once.

A file that is missing from storage, or whose content is not on the allow-list (it was uploaded
before there was one), keeps an empty type: the download then serves it as
``application/octet-stream``, as an attachment, which no browser renders.
"""

from __future__ import annotations

from django.db import migrations, models


def detect_existing(apps, schema_editor) -> None:
    # The live module, not a frozen copy: this runs once, on rows uploaded before the check.
    from lms.uploads import EVIDENCE_TYPES, UploadRejected, detect

    FindingEvidence = apps.get_model("compliance", "FindingEvidence")
    for evidence in FindingEvidence.objects.filter(content_type="").iterator():
        try:
            with evidence.file.open("rb") as handle:
                mime = detect(handle)
        except (FileNotFoundError, OSError, ValueError, UploadRejected):
            continue
        if mime in EVIDENCE_TYPES:
            evidence.content_type = mime
            evidence.save(update_fields=["content_type"])


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_finding_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="findingevidence",
            name="content_type",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Detected from the content on upload; empty means “serve as a download”.",
                max_length=100,
                verbose_name="content type",
            ),
        ),
        migrations.RunPython(detect_existing, migrations.RunPython.noop, elidable=True),
    ]
