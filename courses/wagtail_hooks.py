"""Courses' part of pages owned by lower apps: the course list on the home page.

``content`` sits below ``courses`` and must not import it; it calls these hooks instead.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from wagtail import hooks

from content.models.home import HOME_PAGE_CONTEXT_HOOK

from .models import CoursePage

HOME_PAGE_COURSES = 6


@hooks.register(HOME_PAGE_CONTEXT_HOOK)
def add_home_page_courses(request: HttpRequest, context: dict[str, Any]) -> None:
    """The first live public courses in catalogue (tree) order: one query, when rendered."""
    context["courses"] = CoursePage.objects.live().public().order_by("path")[:HOME_PAGE_COURSES]


@hooks.register("register_admin_viewset")
def register_cpd_ledger():
    """The CPD hours ledger for trainers: look up, inspect, adjust (``courses/admin.py``)."""
    from .admin import CPDEntryViewSet

    return CPDEntryViewSet("cpd_hours")
