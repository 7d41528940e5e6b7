"""Who may manage update modules: as for certification programmes (exams 0005), Trainers add
and change them, Reviewers may look."""

from django.db import migrations

from content.migration_utils import permission

GRANTS = {
    "Trainers": ["add", "change", "view"],
    "Reviewers": ["view"],
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    for name, actions in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for action in actions:
            group.permissions.add(
                permission(apps, "certificates", "updatemodule", f"{action}_updatemodule")
            )


def revoke_grants(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    for name, actions in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="certificates",
                    codename__in=[f"{action}_updatemodule" for action in actions],
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0003_law_change"),
        ("accounts", "0002_create_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke_grants)]
