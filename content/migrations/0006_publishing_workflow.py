"""The course and event trees, who may edit them, and the review workflow that guards them.

Trainers may add and edit pages under 课程 and 活动 and submit them for moderation, but not
publish; Reviewers may publish, and are the group that approves or rejects (with a comment)
in the "Course and event review" workflow assigned to both trees. Both groups may use images
and documents and choose regulations to cite. Created here, so every environment has them.
"""

from django.db import migrations

from content.migration_utils import index_page, permission

TREES = [
    # (app label, model, title, slug)
    ("courses", "courseindexpage", "课程", "courses"),
    ("content", "eventindexpage", "活动", "events"),
]
TRAINER_PAGE_PERMISSIONS = ["add_page", "change_page"]
REVIEWER_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
MEDIA_PERMISSIONS = [
    ("wagtailimages", "image", "add_image"),
    ("wagtailimages", "image", "change_image"),
    ("wagtailimages", "image", "choose_image"),
    ("wagtaildocs", "document", "add_document"),
    ("wagtaildocs", "document", "change_document"),
    ("wagtaildocs", "document", "choose_document"),
]
WORKFLOW_NAME = "课程与活动审核"
TASK_NAME = "审核员审批"


def set_up_publishing(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    HomePage = apps.get_model("content.HomePage")

    trainers = Group.objects.get(name="Trainers")
    reviewers = Group.objects.get(name="Reviewers")
    home = HomePage.objects.first()
    if home is None:  # a database without the site structure: nothing to attach to
        return
    trees = [index_page(apps, home, *tree) for tree in TREES]

    def page_permission(codename):
        return permission(apps, "wagtailcore", "page", codename)

    for tree in trees:
        for group, codenames in (
            (trainers, TRAINER_PAGE_PERMISSIONS),
            (reviewers, REVIEWER_PAGE_PERMISSIONS),
        ):
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=group, page_id=tree.pk, permission=page_permission(codename)
                )

    root_collection = Collection.objects.filter(depth=1).first()
    view_regulation = permission(apps, "content", "regulation", "view_regulation")
    for group in (trainers, reviewers):
        group.permissions.add(view_regulation)
        for app_label, model, codename in MEDIA_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=group,
                collection=root_collection,
                permission=permission(apps, app_label, model, codename),
            )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type, active=True)
    task.groups.set([reviewers])
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    for tree in trees:
        WorkflowPage.objects.update_or_create(page_id=tree.pk, defaults={"workflow": workflow})


def tear_down_publishing(apps, schema_editor):
    apps.get_model("wagtailcore.Workflow").objects.filter(name=WORKFLOW_NAME).delete()
    apps.get_model("wagtailcore.Task").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0005_regulation_crime_name"),
        ("courses", "0001_initial"),
        ("accounts", "0002_create_role_groups"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(set_up_publishing, tear_down_publishing)]
