"""Where a new collector starts: the first course of the programme they should take first.

Asked by accounts' onboarding (after joining a firm) through its ``collector_start_url`` hook,
registered in ``courses/wagtail_hooks.py``: accounts sits below courses and does not import it.
"""

from __future__ import annotations

from lms.accounts.models import User

from .models import CertificationProgramme, CoursePage, ProgrammeAssignment


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


def start_url(user: User) -> str | None:
    """The first live course of the user's programme; None when there is none."""
    programme = programme_for(user)
    course = first_course(programme) if programme else None
    return course.url if course else None
