"""Who may record and decide audit findings.

Auditors may add, change and view findings, their evidence and appeals, and hold the custom
``decide_finding`` permission (confirm, dismiss, decide an appeal). It is created here rather
than in the model's Meta, so the model stays as it is. Superusers hold every permission. No
other group gets any: trainers, reviewers, collectors and managers cannot reach the findings
admin (collectors and managers see and appeal findings on the front end).
"""

from django.db import migrations

from content.migration_utils import permission

MODELS = ["finding", "findingevidence", "appeal"]
ACTIONS = ["add", "change", "view"]
DECIDE = "decide_finding"
DECIDE_NAME = "Can decide audit findings and appeals"


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    decide = permission(apps, "compliance", "finding", DECIDE)
    if decide.name != DECIDE_NAME:
        decide.name = DECIDE_NAME
        decide.save(update_fields=["name"])
    auditors, _ = Group.objects.get_or_create(name="Auditors")
    for model in MODELS:
        for action in ACTIONS:
            auditors.permissions.add(permission(apps, "compliance", model, f"{action}_{model}"))
    auditors.permissions.add(decide)
    auditors.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    auditors = Group.objects.filter(name="Auditors").first()
    codenames = [f"{action}_{model}" for model in MODELS for action in ACTIONS]
    if auditors is not None:
        auditors.permissions.remove(
            *Permission.objects.filter(content_type__app_label="compliance", codename__in=codenames)
        )
    Permission.objects.filter(content_type__app_label="compliance", codename=DECIDE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_monthly_reports"),
        ("accounts", "0002_create_role_groups"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
