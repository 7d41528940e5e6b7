"""Wagtail hooks of the attendance reports, imported from ``content.apps`` (Wagtail discovers
only an app's top-level ``wagtail_hooks`` module)."""

from wagtail import hooks

from . import report_admin_views as admin_views

hooks.register("register_admin_urls", admin_views.admin_urls)
hooks.register("register_reports_menu_item", admin_views.reports_menu_item)
