"""The admission reviewers' role (准入审核员): platform staff who score and decide applications.

They may enter the admin, add applications (paper ones, entered for a firm), score and decide
them (``review_application``), edit draft questionnaires, and look at firms and contracts.
The role is a staff role, so it must use two-factor authentication (``lms.accounts.roles``).
"""

from django.db import migrations

from content.migration_utils import permission

GROUP = "Admission reviewers"
GRANTS = [
    ("admission", "application", "view_application"),
    ("admission", "application", "add_application"),
    ("admission", "application", "change_application"),
    ("admission", "application", "review_application"),
    ("admission", "questionnaire", "view_questionnaire"),
    ("admission", "questionnaire", "add_questionnaire"),
    ("admission", "questionnaire", "change_questionnaire"),
    ("accounts", "firm", "view_firm"),
    ("accounts", "contract", "view_contract"),
]


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *(permission(apps, app, model, codename) for app, model, codename in GRANTS),
    )


def revoke(apps, schema_editor):
    apps.get_model("auth.Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0001_initial"),
        ("accounts", "0007_firm_admission_expiry_and_ban_confirmation"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
