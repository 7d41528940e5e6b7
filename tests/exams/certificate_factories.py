"""Builders for certificate tests: a programme (courses + exam), passing it, issuing.

Two ways to a certificate:

* the way a collector gets one — :func:`complete_course` (every lesson, through
  ``courses.progress``) and :func:`pass_exam` (start, answer right, submit, through
  ``exams.attempts``), which fire the real eligibility checks; wrap them in
  ``django_capture_on_commit_callbacks(execute=True)`` so the issuance task runs;
* a shortcut — :func:`issue_certificate` writes a passing ``Attempt`` and an
  ``IssuanceRequest`` and calls ``issuance.issue``, optionally back-dated with ``now``.

Rendering a real PDF takes a fraction of a second; tests that do not look at the PDF use
:func:`use_fast_pdf`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from courses import progress
from courses.models import CoursePage
from exams import attempts, grading
from exams.certificates import issuance
from exams.certificates.models import (
    Certificate,
    CertificationProgramme,
    IssuanceKind,
    IssuanceRequest,
)
from exams.models import Attempt, AttemptStatus, ExamPage
from tests.courses.pages import lessons_of, make_course

from .factories import fill_bank, make_bank, make_exam

FAKE_PDF = b"%PDF-1.7\n% test certificate\n%%EOF\n"
_numbers = itertools.count(1)


def use_fast_pdf(monkeypatch) -> None:
    """Skip the real renderer: the certificate gets a tiny stand-in PDF."""
    monkeypatch.setattr(issuance, "render", lambda certificate: FAKE_PDF)


@dataclass
class Programme:
    """A certification programme with the pages it is made of."""

    programme: CertificationProgramme
    courses: list[CoursePage]
    exam: ExamPage
    refresher: CoursePage | None = None
    renewal_exam: ExamPage | None = None


def make_exam_with_questions(questions: int = 2, **fields) -> ExamPage:
    bank = make_bank()
    fill_bank(bank, questions)
    fields.setdefault("pass_mark_percent", 60)
    fields.setdefault("max_attempts", 0)
    return make_exam([{"bank": bank, "count": questions}], **fields)


def make_programme(
    *,
    courses: int = 1,
    validity_months: int = 24,
    renewal_window_days: int = 60,
    refresher: bool = False,
    renewal_exam: bool = False,
    name: str | None = None,
) -> Programme:
    """A programme: ``courses`` required courses (one lesson each) and a final exam; optionally
    a refresher course and a separate renewal exam."""
    number = next(_numbers)
    required = [
        make_course(slug=f"cert-course-{number}-{i}", title=f"必修课程{number}-{i}", lessons=1)
        for i in range(1, courses + 1)
    ]
    exam = make_exam_with_questions(title=f"结业考试{number}")
    refresher_course = (
        make_course(slug=f"refresher-{number}", title=f"复训课程{number}", lessons=1)
        if refresher
        else None
    )
    renewal = make_exam_with_questions(title=f"续期考试{number}") if renewal_exam else None
    programme = CertificationProgramme.objects.create(
        name=name or f"合规催收从业资格{number}",
        code=f"programme-{number}",
        final_exam=exam,
        validity_months=validity_months,
        renewal_window_days=renewal_window_days,
        refresher_course=refresher_course,
        renewal_exam=renewal,
    )
    programme.required_courses.set(required)
    programme.save()  # a ParentalManyToManyField is written on save
    return Programme(programme, required, exam, refresher_course, renewal)


def complete_course(user, course: CoursePage) -> None:
    """Enrol and finish every lesson, as the lesson pages do."""
    progress.enrol(user, course)
    for lesson in lessons_of(course):
        progress.mark_complete(user, lesson, course)


def pass_exam(user, exam: ExamPage, *, right: bool = True, now: datetime | None = None) -> Attempt:
    """Sit ``exam`` as ``user`` and submit: every answer right (a pass) or wrong (a fail)."""
    attempt = attempts.start_attempt(user, exam, now=now)
    answers = {}
    for row in attempt.questions.select_related("version"):
        correct = grading.correct_choice_ids(row.version.data)
        if right:
            answers[row.position] = correct
        else:
            answers[row.position] = [
                c["id"] for c in row.version.data["choices"] if c["id"] not in correct
            ][:1]
    attempts.save_answers(attempt, answers, now=now)
    return attempts.submit_attempt(attempt, now=now)


def passing_attempt(
    user, exam: ExamPage, *, percent: str = "92.50", when: datetime | None = None
) -> Attempt:
    """A submitted passing attempt written directly (no grading, no eligibility check)."""
    when = when or timezone.now()
    number = (Attempt.objects.filter(user=user, exam=exam).count()) + 1
    return Attempt.objects.create(
        user=user,
        exam=exam,
        number=number,
        seed=number,
        status=AttemptStatus.SUBMITTED,
        started_at=when - timezone.timedelta(minutes=30),
        deadline=when + timezone.timedelta(minutes=30),
        submitted_at=when,
        score=Decimal(percent),
        max_score=Decimal("100"),
        percent=Decimal(percent),
        passed=True,
    )


def issue_certificate(
    user,
    programme: CertificationProgramme,
    *,
    now: datetime | None = None,
    percent: str = "92.50",
    kind: str = IssuanceKind.INITIAL,
    renews: Certificate | None = None,
) -> Certificate:
    """Issue ``user`` a certificate for ``programme`` as of ``now`` (default: now)."""
    now = now or timezone.now()
    exam = programme.renewal_exam_or_final if kind == IssuanceKind.RENEWAL else programme.final_exam
    attempt = passing_attempt(user, exam, percent=percent, when=now)
    request = IssuanceRequest.objects.create(
        holder=user, programme=programme, attempt=attempt, kind=kind, renews=renews, created_at=now
    )
    certificate = issuance.issue(request.pk, now=now)
    assert certificate is not None
    return certificate
