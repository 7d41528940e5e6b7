"""Who may sit an exam: the prerequisites other apps set, asked through one function.

Exams do not know why an exam might need courses first; the certification app does (a
programme's final exam needs its courses). It registers a *check* with the
``exam_prerequisites`` Wagtail hook (``exams/certificates/wagtail_hooks.py``), as the other
apps above answer the hooks of the apps below, so ``exams`` never imports ``exams.certificates``
and the exam page and :func:`exams.attempts.start_attempt` ask :func:`prerequisites_for` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wagtail import hooks

from courses.cpd import CycleProgress
from courses.models import CoursePage
from courses.progress import Progress

if TYPE_CHECKING:
    from lms.accounts.models import User

    from .models import ExamPage


@dataclass(frozen=True)
class MissingCourse:
    """A course the user must still complete, with how far they are through it."""

    course: CoursePage
    progress: Progress


@dataclass(frozen=True)
class Prerequisites:
    """What stands between a user and an exam: nothing when ``met``."""

    # What the missing courses are for (a certification programme), shown by its name.
    programme: object | None = None
    missing: list[MissingCourse] = field(default_factory=list)
    # For a renewal: the CPD hours of the programme's cycle, when they fall short.
    hours: CycleProgress | None = None

    @property
    def met(self) -> bool:
        return not self.missing and (self.hours is None or self.hours.met)


# Apps above exams register fn(user, exam) -> Prerequisites; the first unmet answer wins.
EXAM_PREREQUISITES_HOOK = "exam_prerequisites"
Check = Callable[["User", "ExamPage"], Prerequisites]


def prerequisites_for(user: User, exam: ExamPage) -> Prerequisites:
    """The first unmet prerequisites of ``exam`` for ``user``; met (no query) when the exam is
    open to anyone or no check objects."""
    if exam.open_to_anyone:
        return Prerequisites()
    check: Check
    for check in hooks.get_hooks(EXAM_PREREQUISITES_HOOK):
        prerequisites = check(user, exam)
        if not prerequisites.met:
            return prerequisites
    return Prerequisites()
