"""Who may read the audit trail in the admin: Auditors (superusers hold every permission).

Auditors get ``view_auditevent`` (the trail pages, people masked) and the custom
``view_personal_data`` (unmask an event's personal part; each look is recorded). The custom
permission is created here rather than in the model's Meta, as the project's other custom
permissions are. No other group gets either: trainers, reviewers and admission reviewers reach
the admin but not the trail; collectors and firm managers do not reach the admin.
"""

from django.db import migrations

from content.migration_utils import permission

VIEW = "view_auditevent"
PERSONAL = "view_personal_data"
PERSONAL_NAME = "Can see the personal data in audit events"


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    personal = permission(apps, "auditlog", "auditevent", PERSONAL)
    if personal.name != PERSONAL_NAME:
        personal.name = PERSONAL_NAME
        personal.save(update_fields=["name"])
    auditors, _ = Group.objects.get_or_create(name="Auditors")
    auditors.permissions.add(permission(apps, "auditlog", "auditevent", VIEW), personal)
    auditors.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    auditors = Group.objects.filter(name="Auditors").first()
    if auditors is not None:
        auditors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="auditlog", codename__in=[VIEW, PERSONAL]
            )
        )
    Permission.objects.filter(content_type__app_label="auditlog", codename=PERSONAL).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0003_verification_run"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
