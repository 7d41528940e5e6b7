"""Who may sit an exam: a certification programme's prerequisites.

An exam that is the final (or renewal) exam of an active certification programme certifies
that programme. Sitting it before the programme's courses are done wastes an attempt and
starts the cooldown for nothing: the collector cannot be certified anyway (issuance also
requires every course), and is then locked out when they are ready. So such an exam cannot be
started until the prerequisites are met:

* the final exam of a programme needs the programme's required courses completed;
* the renewal exam of a programme needs its refresher course completed (if it has one), and,
  for a holder of a valid certificate of a programme requiring CPD hours, the hours of the
  cycle ending today (``courses.cpd.cycle_progress``: total and offline). Issuance checks the
  hours again (``issuance.request_if_eligible``). First certification needs no hours.

When an exam belongs to several programmes, meeting any one programme's prerequisites is
enough (each programme is a reason to sit it); otherwise the programme with the fewest courses
left is the one shown. Trainers can make an exam ``open_to_anyone`` (a practice exam, or one
taken outside any programme), which skips the rule.

A course counts as completed when its enrolment has ``completed_at`` (the same fact issuance
checks), so adding a lesson to a finished course never re-locks the exam.

:func:`programme_prerequisites` is registered with :mod:`exams.eligibility`, which the exam page
(to list what is missing, with links) and :func:`exams.attempts.start_attempt` (to refuse the
start) ask, so a hand-made POST cannot skip it; exams never import certification. It costs a
fixed number of queries whatever the number of programmes or courses.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from courses.cpd import CycleProgress, cycle_progress_many
from courses.models import CoursePage, Enrolment
from courses.progress import progress_for_courses
from exams.eligibility import MissingCourse, Prerequisites

from .models import Certificate, CertificateStatus, CertificationProgramme

if TYPE_CHECKING:
    from exams.models import ExamPage
    from lms.accounts.models import User


def _courses_for(programme: CertificationProgramme, exam_id: int) -> list[CoursePage]:
    """The courses ``programme`` asks for before its exam ``exam_id`` (prefetched: no query)."""
    courses: list[CoursePage] = []
    if programme.final_exam_id == exam_id:
        courses.extend(programme.required_courses.all())
    if programme.renewal_exam_id == exam_id and programme.refresher_course is not None:
        courses.append(programme.refresher_course)
    return list({course.pk: course for course in courses}.values())


def programme_prerequisites(user: User, exam: ExamPage) -> Prerequisites:
    """The courses ``user`` must still complete before starting ``exam``.

    Registered with the ``exam_prerequisites`` hook (``wagtail_hooks.py``); ``prerequisites_for``
    skips it (no query) when the exam is open to anyone; otherwise two queries when the exam
    belongs to no programme or the prerequisites are met, and three when courses are missing.
    """
    programmes = list(
        CertificationProgramme.objects.filter(is_active=True)
        .filter(Q(final_exam_id=exam.pk) | Q(renewal_exam_id=exam.pk))
        .select_related("refresher_course")
        .prefetch_related("required_courses")
        .order_by("name")
    )
    if not programmes:
        return Prerequisites()
    wanted = {programme.pk: _courses_for(programme, exam.pk) for programme in programmes}
    course_ids = {course.pk for courses in wanted.values() for course in courses}
    completed = set(
        Enrolment.objects.filter(
            user=user, course_id__in=course_ids, completed_at__isnull=False
        ).values_list("course_id", flat=True)
    )
    hours = renewal_hours(
        user, [p for p in programmes if (p.renewal_exam_id or p.final_exam_id) == exam.pk]
    )
    missing_by_programme = {
        programme: [course for course in wanted[programme.pk] if course.pk not in completed]
        for programme in programmes
    }

    def shortfall(programme: CertificationProgramme) -> tuple[int, int]:
        progress = hours.get(programme.pk)
        return len(missing_by_programme[programme]), int(progress is not None)

    programme = min(programmes, key=shortfall)
    missing = missing_by_programme[programme]
    if shortfall(programme) == (0, 0):
        return Prerequisites()
    progress = progress_for_courses(user, missing) if missing else {}
    # Course order as editors see it in the page tree (the programme's list has no order).
    missing.sort(key=lambda course: course.path)
    return Prerequisites(
        programme=programme,
        missing=[MissingCourse(course, progress[course.pk]) for course in missing],
        hours=hours.get(programme.pk),
    )


def renewal_hours(user: User, programmes: list[CertificationProgramme]) -> dict[int, CycleProgress]:
    """The CPD hours ``user`` still lacks to renew, per programme (absent when none are lacking).

    Hours are asked of a holder renewing: a valid, unexpired certificate inside its renewal
    window, of a programme whose ``cpd_hours_required`` is above zero. Before the window opens,
    passing the exam renews nothing, so the hours are not what stands in the way yet (and a
    holder may still sit the exam for practice, as before). The cycle ends today (Beijing). No
    query when no programme requires hours; two otherwise (certificates, then the ledger).
    """
    wanting = [p for p in programmes if p.cpd_hours_required > 0]
    if not wanting:
        return {}
    now = timezone.now()
    held = {
        programme_id
        for programme_id, expires_at, window_days in Certificate.objects.filter(
            holder=user,
            programme__in=wanting,
            status=CertificateStatus.VALID,
            expires_at__gt=now,
        ).values_list("programme_id", "expires_at", "programme__renewal_window_days")
        if expires_at - timedelta(days=window_days) <= now
    }
    renewing = [p for p in wanting if p.pk in held]
    return {
        pk: progress
        for pk, progress in cycle_progress_many(user, renewing).items()
        if not progress.met
    }


def cpd_programmes(user: User) -> list[CertificationProgramme]:
    """Active programmes requiring CPD hours that ``user`` holds a valid or suspended
    certificate of (renewal lies ahead) or is assigned by their firm (working toward it).
    Registered with ``courses.cpd.CPD_PROGRAMMES_HOOK`` for "My learning" and the API; one
    query."""
    return list(
        CertificationProgramme.objects.filter(is_active=True, cpd_hours_required__gt=0)
        .filter(
            Q(
                certificates__holder=user,
                certificates__status__in=[CertificateStatus.VALID, CertificateStatus.SUSPENDED],
            )
            | Q(
                assignments__user=user,
                assignments__completed_at__isnull=True,
                assignments__cancelled_at__isnull=True,
            )
        )
        .distinct()
        .order_by("name")
    )
