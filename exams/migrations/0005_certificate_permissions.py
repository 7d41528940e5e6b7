"""Who may see and revoke certificates, and manage certification programmes.

``revoke_certificate`` is a custom permission on Certificate (created here rather than in the
model's Meta, so the certificate model stays as it is). Auditors may view and revoke
certificates, and so need the admin; Trainers manage programmes and, with Reviewers, may view
programmes and certificates. Issuance requests are visible to superusers only.
"""

from django.db import migrations

from content.migration_utils import permission

GRANTS = {
    "Auditors": [
        ("exams", "certificate", ["view", "revoke"]),
    ],
    "Trainers": [
        ("exams", "certificate", ["view"]),
        ("courses", "certificationprogramme", ["add", "change", "view"]),
    ],
    "Reviewers": [
        ("exams", "certificate", ["view"]),
        ("courses", "certificationprogramme", ["view"]),
    ],
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    revoke = permission(apps, "exams", "certificate", "revoke_certificate")
    if revoke.name != "Can revoke certificates":
        revoke.name = "Can revoke certificates"
        revoke.save(update_fields=["name"])
    for name, grants in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in grants:
            for action in actions:
                group.permissions.add(permission(apps, app_label, model, f"{action}_{model}"))
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    Group.objects.get(name="Auditors").permissions.add(access_admin)


def revoke_grants(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    for name, grants in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for app_label, model, actions in grants:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{action}_{model}" for action in actions],
                )
            )
    Permission.objects.filter(
        content_type__app_label="exams", codename="revoke_certificate"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0004_certificates"),
        ("accounts", "0002_create_role_groups"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke_grants)]
