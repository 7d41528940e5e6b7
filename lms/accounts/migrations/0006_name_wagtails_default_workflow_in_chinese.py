"""Give Wagtail's default workflow and task ("Moderators approval") a Chinese name.

wagtailcore's migration 0048 names them in English from the group's name; they are data, not
messages, so no catalogue translates them, and the Chinese admin showed "Moderators approval"
in its workflow lists. Nothing looks them up by name (our publishing workflow is
``课程与活动审核``, content 0006), so renaming is safe. Custom names are left alone.
"""

from django.db import migrations

WAGTAIL_DEFAULT = "Moderators approval"
WORKFLOW_NAME = "默认审核流程（版主）"
TASK_NAME = "版主审批"


def rename(apps, schema_editor):
    apps.get_model("wagtailcore.Workflow").objects.filter(name=WAGTAIL_DEFAULT).update(
        name=WORKFLOW_NAME
    )
    apps.get_model("wagtailcore.Task").objects.filter(name=WAGTAIL_DEFAULT).update(name=TASK_NAME)


def restore(apps, schema_editor):
    apps.get_model("wagtailcore.Workflow").objects.filter(name=WORKFLOW_NAME).update(
        name=WAGTAIL_DEFAULT
    )
    apps.get_model("wagtailcore.Task").objects.filter(name=TASK_NAME).update(name=WAGTAIL_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_name_the_site"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(rename, restore)]
