"""Wagtail hooks for admission (each screen's module holds its views; this only registers)."""

from __future__ import annotations

from wagtail import hooks

from .admin_views import StaffApplyViewSet


@hooks.register("register_admin_viewset")
def register_staff_apply() -> StaffApplyViewSet:
    """录入申请: platform staff enter an application (admin_views)."""
    return StaffApplyViewSet()
