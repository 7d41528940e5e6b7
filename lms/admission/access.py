"""Who may review an application, and the conflict of interest that bars a reviewer.

Reviewers hold ``admission.review_application`` (the Admission reviewers role, or a
superuser). Nobody reviews, scores or decides an application of a firm they work for (an open
membership of the application's firm, or of a firm with its credit code), that names them as
its contact person, or that they entered themselves in the admin.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from lms.accounts.models import Membership

from .models import Application

REVIEW_PERMISSION = "admission.review_application"


def is_reviewer(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(REVIEW_PERMISSION))


def conflict_of_interest(user, application: Application) -> str | None:
    """Why ``user`` may not review ``application``, or None. One query at most."""
    if application.contact_email and user.email.lower() == application.contact_email.lower():
        return _("You are this application's contact person.")
    if application.created_by_id is not None and application.created_by_id == user.pk:
        return _("You entered this application yourself; another reviewer must review it.")
    firm_match = Q(firm__credit_code=application.credit_code)
    if application.firm_id is not None:
        firm_match |= Q(firm_id=application.firm_id)
    if Membership.objects.active().filter(firm_match, user=user).exists():
        return _("You work for this firm.")
    return None


def can_review(user, application: Application) -> bool:
    """A reviewer without a conflict of interest in ``application``."""
    return is_reviewer(user) and conflict_of_interest(user, application) is None
