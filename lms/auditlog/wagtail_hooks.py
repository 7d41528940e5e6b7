"""Wagtail hooks for the audit log: the trail pages and their menu item (admin_views)."""

from __future__ import annotations

from wagtail import hooks

from . import admin_views

hooks.register("register_admin_urls", admin_views.admin_urls)
hooks.register("register_admin_menu_item", admin_views.menu_item)
