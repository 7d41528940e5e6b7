"""Wagtail hooks for compliance (each screen's module holds its views; this only registers)."""

from __future__ import annotations

from wagtail import hooks

from lms.accounts.onboarding.views import STAFF_MEMBERS_QUERYSET_HOOK, STAFF_MEMBERS_ROWS_HOOK

from . import admin_views, staff_list
from .admin_views import findings as admin_findings


@hooks.register("register_admin_viewset")
def register_platform_api():
    """平台接口: API tokens, webhook subscriptions and deliveries (admin_views)."""
    return admin_views.PlatformApiViewSetGroup()


hooks.register("register_log_actions", admin_views.register_log_actions)


@hooks.register("register_admin_viewset")
def register_audit_findings():
    """稽核: findings with Confirm/Dismiss and appeal decisions (admin_views.findings)."""
    return admin_findings.FindingViewSet()


@hooks.register("register_admin_viewset")
def register_collector_chooser():
    return admin_findings.collector_chooser_viewset


hooks.register("register_admin_urls", admin_findings.admin_urls)  # evidence downloads

# The firm's staff list (lms.accounts) shows each collector's grade and certificate.
hooks.register(STAFF_MEMBERS_QUERYSET_HOOK, staff_list.join_ratings)
hooks.register(STAFF_MEMBERS_ROWS_HOOK, staff_list.describe_ratings)
