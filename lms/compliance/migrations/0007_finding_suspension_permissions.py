"""Who may suspend certificates pending a critical finding: Auditors (and superusers).

The custom ``compliance.suspend_finding`` permission ("suspend the collector's certificates
pending this finding") is created here, like ``decide_finding`` (migration 0003), so the model
stays as it is. Resolving the suspensions is part of deciding the finding (``decide_finding``).
No other group gets it.
"""

from django.db import migrations

from content.migration_utils import permission

SUSPEND = "suspend_finding"
SUSPEND_NAME = "Can suspend certificates pending an audit finding"


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    suspend = permission(apps, "compliance", "finding", SUSPEND)
    if suspend.name != SUSPEND_NAME:
        suspend.name = SUSPEND_NAME
        suspend.save(update_fields=["name"])
    auditors, _ = Group.objects.get_or_create(name="Auditors")
    auditors.permissions.add(suspend)
    auditors.permissions.add(
        permission(apps, "compliance", "findingsuspension", "view_findingsuspension")
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Permission.objects.filter(content_type__app_label="compliance", codename=SUSPEND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0006_finding_suspensions_and_certificate_events"),
        ("compliance", "0003_finding_permissions"),
        ("accounts", "0002_create_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
