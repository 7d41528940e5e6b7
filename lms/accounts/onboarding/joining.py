"""Joining a firm from the invitation link in one step, and where a new member starts.

A newcomer used to follow the link to allauth's "change password" page, sign in again, accept
on a third page and land on an empty "My learning". Now the invitation page itself asks a new
account for a password (and the legal name, if the firm did not give one): submitting it sets
the password, accepts the invitation and signs the person in, and they land on the first course
of their programme. The invitation token is the proof of mailbox ownership, as a password-reset
key would be, and it is single-use: accepting closes the invitation.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.urls import reverse

from courses.models import CoursePage
from lms.accounts.models import Invitation, Membership, MembershipRole, User

from . import invitations


def join_with_password(
    invitation: Invitation, user: User, *, password: str, legal_name: str = ""
) -> Membership:
    """Set the new account's password (and legal name) and accept, all or nothing."""
    with transaction.atomic():
        user.set_password(password)
        fields = ["password"]
        if legal_name and not user.legal_name:
            user.legal_name = legal_name
            fields.append("legal_name")
        user.save(update_fields=fields)
        return invitations.accept(invitation, user)


# Where a new collector starts: the certification app registers the first course of their
# programme (``CertificatesConfig.ready``), so onboarding does not import certification.
FirstCourse = Callable[[User], "CoursePage | None"]
_first_course_finders: list[FirstCourse] = []


def register_first_course(finder: FirstCourse) -> None:
    """Add a way to find a new collector's first course (idempotent)."""
    if finder not in _first_course_finders:
        _first_course_finders.append(finder)


def first_course_for(user: User) -> CoursePage | None:
    """The first course a registered finder offers, or None."""
    for finder in _first_course_finders:
        course = finder(user)
        if course is not None:
            return course
    return None


def start_url(membership: Membership) -> str:
    """Where a person lands after joining: a manager on the firm dashboard; a collector on the
    first course of their programme, or My learning when no programme has a live course."""
    if membership.role == MembershipRole.MANAGER:
        return reverse("dashboard:roster")
    course = first_course_for(membership.user)
    if course is None:
        return reverse("courses:my_learning")
    return course.url
