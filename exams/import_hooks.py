"""Admin wiring of the question import screen (exams/import_views.py).

Plain functions, registered by exams/wagtail_hooks.py::

    from .import_hooks import import_menu_item, import_urls
    hooks.register("register_admin_urls", import_urls)
    hooks.register("register_admin_menu_item", import_menu_item)
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem

from .import_views import PERMISSION, URL_NAME, import_questions


class ImportMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)


def import_urls() -> list:
    return [path("exams/import-questions/", import_questions, name=URL_NAME)]


def import_menu_item() -> MenuItem:
    # Right after the question bank menu (order 250).
    return ImportMenuItem(
        _("Import questions"), reverse_lazy(URL_NAME), icon_name="upload", order=251
    )
