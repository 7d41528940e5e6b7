"""Enrolment and progress through a course.

Progress is never stored as a number: it is derived from the learner's lesson completions and
the course's *currently live* lessons in tree order. Trainers can add, remove, unpublish and
reorder lessons at any time and every learner's progress stays right. Each read below is one
query however many lessons or enrolments there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef, Q, Value
from django.utils import timezone
from wagtail.query import PageQuerySet

from .models import CoursePage, Enrolment, LessonCompletion, LessonPage
from .signals import course_completed


class NotEnrolled(Exception):
    """The learner must enrol in the course before studying its lessons."""

    def __init__(self, course: CoursePage) -> None:
        super().__init__(f"not enrolled in course {course.pk}")
        self.course = course


@dataclass(frozen=True)
class Progress:
    """How far a learner is through a course's live lessons."""

    done: int
    total: int
    next_lesson: LessonPage | None  # the first live lesson not yet completed, in course order
    completed: bool

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def started(self) -> bool:
        return self.done > 0


@dataclass(frozen=True)
class Outline:
    """A course's live lessons in order (each with ``is_done``) and the progress they add up to."""

    lessons: list[LessonPage]
    progress: Progress


def _progress(lessons: list[LessonPage]) -> Progress:
    done = sum(1 for lesson in lessons if lesson.is_done)
    return Progress(
        done=done,
        total=len(lessons),
        next_lesson=next((lesson for lesson in lessons if not lesson.is_done), None),
        completed=bool(lessons) and done == len(lessons),
    )


def _lessons(user) -> PageQuerySet:
    """Live lessons in tree order, each annotated with whether ``user`` completed it.

    The body is deferred: outlines and progress need titles and URLs, not whole lessons.
    """
    is_done: Value | Exists
    if user is None:
        is_done = Value(False, output_field=BooleanField())
    else:
        is_done = Exists(LessonCompletion.objects.filter(user=user, lesson=OuterRef("pk")))
    return LessonPage.objects.live().defer("body").annotate(is_done=is_done).order_by("path")


def course_outline(course: CoursePage, user=None) -> Outline:
    """The course's live lessons and the user's progress through them: one query."""
    lessons = list(_lessons(user).child_of(course))
    return Outline(lessons=lessons, progress=_progress(lessons))


def course_progress(user, course: CoursePage) -> Progress:
    return course_outline(course, user).progress


def progress_for_courses(user, courses: Iterable[CoursePage]) -> dict[int, Progress]:
    """Progress in each of ``courses``, keyed by course id, from one query for all of them."""
    courses = list(courses)
    if not courses:
        return {}
    children_of_each = reduce(or_, (Q(path__startswith=c.path, depth=c.depth + 1) for c in courses))
    by_path: dict[str, list[LessonPage]] = {c.path: [] for c in courses}
    for lesson in _lessons(user).filter(children_of_each):
        by_path[lesson.path[: -LessonPage.steplen]].append(lesson)
    return {c.pk: _progress(by_path[c.path]) for c in courses}


def get_enrolment(user, course: CoursePage) -> Enrolment | None:
    return Enrolment.objects.filter(user=user, course=course).first()


def enrol(user, course: CoursePage) -> tuple[Enrolment, bool]:
    """Enrol ``user`` in ``course``; enrolling again changes nothing. Returns (enrolment, new)."""
    return Enrolment.objects.get_or_create(user=user, course=course)


def mark_complete(user, lesson: LessonPage, course: CoursePage | None = None) -> Progress:
    """Record that ``user`` finished ``lesson`` and return their progress in its course.

    Safe to repeat. The first time every live lesson is complete, the enrolment's
    ``completed_at`` is set; it is never moved later. Raises NotEnrolled when the user has not
    enrolled in the lesson's course. Callers check that the lesson is live.
    """
    course = course or lesson.get_course()
    assert course is not None, "a lesson's parent page is a course (parent_page_types)"
    enrolment = get_enrolment(user, course)
    if enrolment is None:
        raise NotEnrolled(course)
    LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    progress = course_progress(user, course)
    if progress.completed and enrolment.completed_at is None:
        with transaction.atomic():
            # The filter makes concurrent requests (two tabs) agree on one timestamp, and only
            # the request that set it announces the completion.
            first = Enrolment.objects.filter(pk=enrolment.pk, completed_at__isnull=True).update(
                completed_at=timezone.now()
            )
            if first:
                course_completed.send(CoursePage, user=user, course=course)
    return progress
