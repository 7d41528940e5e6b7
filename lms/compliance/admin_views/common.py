"""What the platform-API screens share: the page that shows a secret once, and links from the
audit log to rows that have no edit view."""

from __future__ import annotations

from django.template.response import TemplateResponse
from wagtail.admin.admin_url_finder import ModelAdminURLFinder

SECRET_TEMPLATE = "compliance/api_admin/secret_shown_once.html"


def show_secret_once(request, *, title: str, secret: str, about: str, back_url: str, **extra):
    """The page that shows a secret, never cached: reloading it does not bring the secret back
    from a cache, and nothing else ever shows it."""
    response = TemplateResponse(
        request,
        SECRET_TEMPLATE,
        {"page_title": title, "secret": secret, "about": about, "back_url": back_url, **extra},
    )
    response["Cache-Control"] = "no-store"
    return response


def inspect_url_finder(url_name: str) -> type[ModelAdminURLFinder]:
    """Links from elsewhere in the admin (the audit log) go to the inspect view: these rows
    have no edit view."""
    return type("InspectURLFinder", (ModelAdminURLFinder,), {"edit_url_name": url_name})
