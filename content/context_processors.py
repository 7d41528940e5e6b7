"""Template context shared by every page: links to the site's main sections."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from wagtail.models import Page

from lms.accounts.landing import uses_admin
from lms.accounts.roles import Role, role_names


def _section_urls(request: HttpRequest) -> dict[str, str]:
    """URLs of the course catalogue, the events listing and the exams, keyed by section.

    One query, and only when a template uses it; the index pages' slugs are the editors' to
    change, so they are looked up rather than written into templates.
    """
    names = {
        ("courses", "courseindexpage"): "courses",
        ("content", "eventindexpage"): "events",
        ("exams", "examindexpage"): "exams",
    }
    sections = Q()
    for app_label, model in names:
        sections |= Q(content_type__app_label=app_label, content_type__model=model)
    urls: dict[str, str] = {}
    pages = Page.objects.live().filter(sections).select_related("content_type").order_by("path")
    for page in pages:
        name = names[(page.content_type.app_label, page.content_type.model)]
        urls.setdefault(name, page.get_url(request) or "")
    return urls


def _manages_a_firm(request: HttpRequest) -> bool:
    """Whether to link the firm dashboard: users with the firm-manager role. No query of its
    own on most pages: the MFA middleware has read the user's roles already. The dashboard
    itself also requires a current manager membership."""
    return Role.FIRM_MANAGER in role_names(getattr(request, "user", None))


def _uses_admin(request: HttpRequest) -> bool:
    """Whether to link the Wagtail admin: trainers, reviewers, auditors and superusers."""
    return uses_admin(getattr(request, "user", None))


def navigation(request: HttpRequest) -> dict[str, object]:
    return {
        "section_urls": SimpleLazyObject(lambda: _section_urls(request)),
        "manages_firm": SimpleLazyObject(lambda: _manages_a_firm(request)),
        "uses_admin": SimpleLazyObject(lambda: _uses_admin(request)),
    }
