"""Create the platform's role groups, so every environment has them.

Trainers and Reviewers may enter the Wagtail admin; page and workflow permissions are added by
the migrations of the apps that own those pages.
"""

from django.db import migrations

ROLES = ["Collectors", "Firm managers", "Trainers", "Reviewers", "Auditors"]
ADMIN_ROLES = ["Trainers", "Reviewers"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        if name in ADMIN_ROLES:
            group.permissions.add(access_admin)


def remove_groups(apps, schema_editor):
    apps.get_model("auth.Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
