"""Wagtail hooks for certification: programmes, certificates and issuances in the admin, and
certification's answers to the apps below it (exams ask for an exam's prerequisites, onboarding
where a new collector starts, the statute loader what the changes it loaded reach); they never
import certification."""

from __future__ import annotations

from wagtail import hooks

from content.regulations import REGULATION_CHANGES_LOADED_HOOK
from courses.cpd import CPD_PROGRAMMES_HOOK
from exams.eligibility import EXAM_PREREQUISITES_HOOK
from lms.accounts.onboarding.joining import COLLECTOR_START_URL_HOOK

from . import assignments, impact, impact_views
from .admin import CertificationViewSetGroup
from .eligibility import cpd_programmes, programme_prerequisites


@hooks.register("register_admin_viewset")
def register_certification():
    """Programmes, certificates and issuances under one 认证 (Certification) menu (admin.py)."""
    return CertificationViewSetGroup()


hooks.register(COLLECTOR_START_URL_HOOK, assignments.start_url)
hooks.register(EXAM_PREREQUISITES_HOOK, programme_prerequisites)
hooks.register(CPD_PROGRAMMES_HOOK, cpd_programmes)
hooks.register(REGULATION_CHANGES_LOADED_HOOK, impact.summary)
hooks.register("register_admin_urls", impact_views.admin_urls)
hooks.register("register_admin_menu_item", impact_views.menu_item)
