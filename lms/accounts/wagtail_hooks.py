"""Wagtail hooks for accounts (the screens live in firm_admin; this only registers them)."""

from __future__ import annotations

from wagtail import hooks

from . import admin_display, firm_admin

# Inspect views show times in Beijing time, not UTC (admin_display).
admin_display.register()


@hooks.register("register_admin_viewset")
def register_partner_firms():
    """合作机构: firms (with Change status), contracts and memberships (lms.accounts.firm_admin)."""
    return firm_admin.FirmsViewSetGroup()


@hooks.register("register_admin_viewset")
def register_people_chooser():
    return firm_admin.user_chooser_viewset
