"""Wagtail hooks for the admission review (each screen's module holds its views)."""

from __future__ import annotations

from wagtail import hooks

from .ban_list import BanListViewSet
from .decision_views import DecisionViewSet


@hooks.register("register_admin_viewset")
def register_decisions():
    """Decide, confirm, decline, condition met (reached from the review page's panel)."""
    return DecisionViewSet()


@hooks.register("register_admin_viewset")
def register_ban_list():
    """黑名单: banned firms, for platform staff who may view firms."""
    return BanListViewSet()
