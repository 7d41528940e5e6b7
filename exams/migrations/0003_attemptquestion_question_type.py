"""Copy each drawn question's type onto its paper row, so autosave need not read the snapshot."""

from django.db import migrations, models


def copy_question_types(apps, schema_editor) -> None:
    AttemptQuestion = apps.get_model("exams", "AttemptQuestion")
    rows = list(AttemptQuestion.objects.filter(question_type="").select_related("version"))
    for row in rows:
        row.question_type = row.version.data["type"]
    AttemptQuestion.objects.bulk_update(rows, ["question_type"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0002_exam_index_and_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="attemptquestion",
            name="question_type",
            field=models.CharField(default="", editable=False, max_length=20),
        ),
        migrations.RunPython(copy_question_types, migrations.RunPython.noop),
    ]
