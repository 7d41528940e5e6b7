"""Helpers for data migrations that set up page trees and permissions.

They take the migration's historical ``apps`` registry and never import models, so they stay
valid however the models change later.
"""


def index_page(apps, home, app_label, model, title, slug):
    """The tree's index page under the home page, created if missing (treebeard by hand)."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Model = apps.get_model(app_label, model)
    existing = Model.objects.first()
    if existing:
        return existing
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    last = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).order_by("-path")
    last_path = last.values_list("path", flat=True).first()
    step = int(last_path[-4:], 36) + 1 if last_path else 1
    suffix = ""
    while step:
        step, digit = divmod(step, 36)
        suffix = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + suffix
    page = Model.objects.create(
        title=title,
        draft_title=title,
        slug=slug,
        content_type=content_type,
        path=home.path + suffix.rjust(4, "0"),
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{slug}/",
        locale_id=home.locale_id,
        live=True,
    )
    Page.objects.filter(pk=home.pk).update(numchild=home.numchild + 1)
    home.numchild += 1
    return page


def permission(apps, app_label, model, codename):
    """A model permission, created if missing: Django only creates them after all migrations."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": f"Can {codename.replace('_', ' ')}"},
    )
    return permission
