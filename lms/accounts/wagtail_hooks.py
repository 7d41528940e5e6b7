"""Wagtail hooks for accounts (the screens live in admin_views; this only registers them)."""

from __future__ import annotations

from wagtail import hooks

from . import admin_display, admin_views
from .admin_views.people import user_chooser_viewset

# Inspect views show times in Beijing time, not UTC (admin_display).
admin_display.register()


@hooks.register("register_admin_viewset")
def register_partner_firms():
    """合作机构: firms (with Change status), contracts and memberships (admin_views)."""
    return admin_views.FirmsViewSetGroup()


@hooks.register("register_admin_viewset")
def register_people_chooser():
    return user_chooser_viewset
