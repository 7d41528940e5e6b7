"""Joining a firm from the invitation link in one step, and where a new member starts.

A newcomer used to follow the link to allauth's "change password" page, sign in again, accept
on a third page and land on an empty "My learning". Now the invitation page itself asks a new
account for a password (and the legal name, if the firm did not give one): submitting it sets
the password, accepts the invitation and signs the person in, and they land on the first course
of their programme. The invitation token is the proof of mailbox ownership, as a password-reset
key would be, and it is single-use: accepting closes the invitation.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from courses.models import CertificationProgramme, CoursePage, ProgrammeAssignment
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


def programme_for(user: User) -> CertificationProgramme | None:
    """The programme a new member should start: the open assignment due first, else the
    first active programme (every active programme is required of every collector)."""
    assignment = (
        ProgrammeAssignment.objects.open()
        .filter(user=user, programme__is_active=True)
        .select_related("programme")
        .order_by("due_on", "pk")
        .first()
    )
    if assignment is not None:
        return assignment.programme
    return CertificationProgramme.objects.filter(is_active=True).order_by("pk").first()


def first_course(programme: CertificationProgramme) -> CoursePage | None:
    """The programme's first live required course, in catalogue (tree) order."""
    return programme.required_courses.live().order_by("path").first()


def start_url(membership: Membership) -> str:
    """Where a person lands after joining: a manager on the firm dashboard; a collector on the
    first course of their programme, or My learning when no programme has a live course."""
    if membership.role == MembershipRole.MANAGER:
        return reverse("dashboard:roster")
    programme = programme_for(membership.user)
    course = first_course(programme) if programme else None
    if course is None:
        return reverse("courses:my_learning")
    return course.url
