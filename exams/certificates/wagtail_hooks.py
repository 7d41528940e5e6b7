"""Wagtail hooks for certification: programmes, certificates and issuances in the admin."""

from __future__ import annotations

from wagtail import hooks

from lms.accounts.onboarding.joining import COLLECTOR_START_URL_HOOK

from . import assignments
from .admin import CertificationViewSetGroup


@hooks.register("register_admin_viewset")
def register_certification():
    """Programmes, certificates and issuances under one 认证 (Certification) menu (admin.py)."""
    return CertificationViewSetGroup()


hooks.register(COLLECTOR_START_URL_HOOK, assignments.start_url)
