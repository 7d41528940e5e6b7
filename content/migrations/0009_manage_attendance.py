"""Trainers manage sessions' attendance: the custom ``content.manage_attendance`` permission
(open check-in, the check-in screen, marking by hand, closing), given to the Trainers group."""

from django.db import migrations

from content.migration_utils import permission

GROUP = "Trainers"


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission(apps, "content", "eventsession", "manage_attendance"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Permission.objects.filter(
        content_type__app_label="content", codename="manage_attendance"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0008_sessions_and_registrations"),
        ("accounts", "0002_create_role_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="eventsession",
            options={
                "ordering": ["sort_order"],
                "permissions": [
                    ("manage_attendance", "Can manage attendance (check-in, marking, closing)")
                ],
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
