"""The 考试 tree under the home page, reviewed like courses, and who may manage question banks.

Trainers write questions and exams (exams go through the 课程与活动审核 workflow); Reviewers can
do the same and publish. Both may read attempts, for the exam reports.
"""

from django.db import migrations

from content.migration_utils import index_page, permission

TRAINER_PAGE_PERMISSIONS = ["add_page", "change_page"]
REVIEWER_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
MODEL_PERMISSIONS = [
    ("questionbank", ["add", "change", "view"]),
    ("questioncategory", ["add", "change", "delete", "view"]),
    ("question", ["add", "change", "delete", "view"]),
    ("attempt", ["view"]),
]
WORKFLOW_NAME = "课程与活动审核"


def set_up_exams(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    HomePage = apps.get_model("content.HomePage")

    home = HomePage.objects.first()
    trainers = Group.objects.get(name="Trainers")
    reviewers = Group.objects.get(name="Reviewers")
    for group in (trainers, reviewers):
        for model, actions in MODEL_PERMISSIONS:
            for action in actions:
                group.permissions.add(permission(apps, "exams", model, f"{action}_{model}"))
    if home is None:
        return
    tree = index_page(apps, home, "exams", "examindexpage", "考试", "exams")
    for group, codenames in (
        (trainers, TRAINER_PAGE_PERMISSIONS),
        (reviewers, REVIEWER_PAGE_PERMISSIONS),
    ):
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page_id=tree.pk,
                permission=permission(apps, "wagtailcore", "page", codename),
            )
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is not None:
        WorkflowPage.objects.update_or_create(page_id=tree.pk, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
        ("content", "0006_publishing_workflow"),
    ]

    operations = [migrations.RunPython(set_up_exams, migrations.RunPython.noop)]
