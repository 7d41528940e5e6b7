"""Where each role lands after signing in, and who is shown the way into the admin.

Staff work in the Wagtail admin; learners and firm managers on the site. Landing everyone on
the public home page left trainers, reviewers and auditors with a collector's menu and no way
into their work, so the redirect after login (``AccountAdapter.get_login_redirect_url``) and the
header's admin link both ask this module. An explicit, safe ``next`` still wins: allauth checks
it before asking the adapter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from .roles import Role, role_names

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

# Roles whose work is in the Wagtail admin (auditors record findings there, admission reviewers
# review firms' applications).
ADMIN_ROLES = frozenset({Role.TRAINER, Role.REVIEWER, Role.AUDITOR, Role.ADMISSION_REVIEWER})


def uses_admin(user: User | AnonymousUser | None) -> bool:
    """Whether the person works in the Wagtail admin: superusers, trainers, reviewers, auditors."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or role_names(user) & ADMIN_ROLES)


def landing_url(user: User | AnonymousUser) -> str:
    """Where the user's work is. Reads the user's groups once (shared with the MFA check).

    Trainers and reviewers (and superusers): the admin dashboard, where reviewers find the
    pages waiting for them. Auditors: the findings listing. Admission reviewers: the firms'
    applications. Firm managers: the firm dashboard.
    Everyone else (collectors): ``LOGIN_REDIRECT_URL``, the home page, which leads with their
    courses.
    """
    roles = role_names(user)
    if user.is_superuser or roles & {Role.TRAINER, Role.REVIEWER}:
        return reverse("wagtailadmin_home")
    if Role.AUDITOR in roles:
        return reverse("compliance_findings:index")
    if Role.ADMISSION_REVIEWER in roles:
        # Named, not imported: lms.admission sits above this app (see README, Layers).
        return reverse("admission_applications:index")
    if Role.FIRM_MANAGER in roles:
        return reverse("dashboard:roster")
    return resolve_url(settings.LOGIN_REDIRECT_URL)
