"""Wagtail hooks for certification: programmes, certificates and issuances in the admin."""

from __future__ import annotations

from wagtail import hooks

from .admin import CertificationViewSetGroup


@hooks.register("register_admin_viewset")
def register_certification():
    """Programmes, certificates and issuances under one 认证 (Certification) menu (admin.py)."""
    return CertificationViewSetGroup()
