"""The platform's roles, each a Django group created by migration 0002.

Group names are stable identifiers (English, as stored); labels are what people read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User


class Role(models.TextChoices):
    COLLECTOR = "Collectors", _("Collector")
    FIRM_MANAGER = "Firm managers", _("Firm manager")
    TRAINER = "Trainers", _("Trainer")
    REVIEWER = "Reviewers", _("Reviewer")
    AUDITOR = "Auditors", _("Auditor")
    # Platform staff who review partner firms' admission (准入审核); a role of its own because
    # content reviewers approve pages and auditors audit collectors: neither admits firms.
    ADMISSION_REVIEWER = "Admission reviewers", _("Admission reviewer")


# Roles that can change what others learn or how they are rated: these must use MFA.
STAFF_ROLES = frozenset({Role.TRAINER, Role.REVIEWER, Role.AUDITOR, Role.ADMISSION_REVIEWER})


def role_names(user: User | AnonymousUser | None) -> frozenset[str]:
    """The names of the user's groups, read once per user object (one query), so the MFA check
    and the navigation's role links share it."""
    if user is None or not user.is_authenticated:
        return frozenset()
    names = getattr(user, "_role_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._role_names = names
    return names


def requires_mfa(user: User | AnonymousUser | None) -> bool:
    """Staff roles and superusers must have a second factor. Reads the user's groups: one query."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(role_names(user) & STAFF_ROLES)
