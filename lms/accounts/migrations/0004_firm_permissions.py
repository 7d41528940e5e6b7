"""Who may see and manage partner firms in the admin.

Superusers manage firms, contracts and memberships (they hold every permission). Auditors may
look at firms, contracts and memberships (view), to see whom a collector worked for. Firm
managers get nothing in the admin: they onboard their staff on the front end (/firm/staff/), so
this migration makes sure their group has no admin access.
"""

from django.db import migrations

from content.migration_utils import permission

AUDITOR_VIEWS = ["firm", "contract", "membership"]


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    auditors, _ = Group.objects.get_or_create(name="Auditors")
    for model in AUDITOR_VIEWS:
        auditors.permissions.add(permission(apps, "accounts", model, f"view_{model}"))
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    auditors.permissions.add(access_admin)
    managers, _ = Group.objects.get_or_create(name="Firm managers")
    managers.permissions.remove(access_admin)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    auditors = Group.objects.filter(name="Auditors").first()
    if auditors is not None:
        auditors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="accounts",
                codename__in=[f"view_{model}" for model in AUDITOR_VIEWS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_firms_and_memberships"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
