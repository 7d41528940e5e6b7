"""Who may see the CPD hours ledger and adjust it: Trainers (add = a manual adjustment, view).
No one gets change or delete: the ledger is append-only."""

from django.db import migrations

from content.migration_utils import permission

GRANTS = {"Trainers": ["add", "view"]}


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    for name, actions in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for action in actions:
            group.permissions.add(permission(apps, "courses", "cpdentry", f"{action}_cpdentry"))


def revoke_grants(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    for name, actions in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="courses",
                    codename__in=[f"{action}_cpdentry" for action in actions],
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_cpdentry"),
        ("accounts", "0002_create_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke_grants)]
