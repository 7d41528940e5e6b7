"""The moved models keep their content types: the rows are relabelled, not recreated.

Group permissions (``auth_permission`` rows point at a content type), Wagtail revisions, log
entries and the reference index all refer to a model through ``django_content_type``. Were the
old rows (``courses.certificationprogramme``, ``exams.certificate``, …) left behind, the
``post_migrate`` handler would create fresh ``certificates.*`` content types with fresh
permissions and every group would silently lose its grants. So this migration moves the rows to
``app_label="certificates"``; it runs inside ``migrate``, before ``post_migrate`` creates
anything. Codenames (``view_certificate``, ``revoke_certificate``, …) do not change with the
app label, so no permission is renamed: only the label in ``has_perm`` checks
(``certificates.revoke_certificate``).

On a fresh database the rows may not exist yet (nothing to move), and should a
``certificates`` content type already exist for a model (post_migrate ran with the new code
before this migration, e.g. a partial migrate), that empty duplicate and its permissions are
removed first so the old row, with everything that points at it, wins.
"""

from django.db import migrations

MOVED = {
    "certificationprogramme": "courses",
    "programmeassignment": "courses",
    "issuancerequest": "exams",
    "certificate": "exams",
    "certificatereminder": "exams",
}


def _relabel(apps, model: str, from_label: str, to_label: str) -> None:
    """Give ``from_label``'s content type row for ``model`` the label ``to_label``."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    row = ContentType.objects.filter(app_label=from_label, model=model).first()
    if row is None:
        return
    duplicate = ContentType.objects.filter(app_label=to_label, model=model).first()
    if duplicate is not None:
        Permission.objects.filter(content_type=duplicate).delete()
        duplicate.delete()
    row.app_label = to_label
    row.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    for model, old_label in MOVED.items():
        _relabel(apps, model, old_label, "certificates")
    apps.get_model("contenttypes", "ContentType").objects.clear_cache()


def backwards(apps, schema_editor):
    for model, old_label in MOVED.items():
        _relabel(apps, model, "certificates", old_label)
    apps.get_model("contenttypes", "ContentType").objects.clear_cache()


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        # The grants of exams.0005 are made on the old content types; they move with them.
        ("exams", "0005_certificate_permissions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
