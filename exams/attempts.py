"""Taking an exam: start (draw and freeze a paper), autosave answers, submit, close at the limit.

Every rule is enforced here, on the server; views and the page's script only display.

* **Time.** An attempt's ``deadline`` is fixed when it starts: started_at + the exam's time
  limit, but never later than the exam's ``available_until`` (as Moodle does with a quiz's close
  date: the window is the window, so starting five minutes before it closes gives five
  minutes). Answers are accepted until ``deadline + GRACE``, so a click made in the last second
  still lands although the network is slow; after that the attempt is closed and graded with what
  was saved.
* **Prerequisites.** The final or renewal exam of a certification programme cannot be started
  before the programme's courses are completed (:mod:`exams.eligibility`), unless the exam is
  open to anyone.
* **Attempts.** A user has at most one attempt in progress per exam (asking to start again resumes
  it), at most ``max_attempts`` attempts (0 = unlimited), and must wait ``cooldown_hours`` after
  an attempt ended before starting the next. Starts are serialised per user by locking the user
  row; the ``attempt_one_in_progress`` and ``attempt_unique_number`` constraints are the last line
  of defence.
* **Paper.** Drawn by :mod:`exams.drawing` from the exam's blueprint with
  ``random.Random(attempt.seed)``, which then also orders each question's choices (when
  ``shuffle_choices``; true/false keeps 对/错). Questions are frozen as
  :class:`~exams.models.QuestionVersion` rows, so later edits never change a paper or its score.
* **Grading** is :mod:`exams.grading`'s, once, when the attempt is submitted or closed; submitting
  twice (double click, two tabs, a retried request) returns the first result unchanged.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lms.accounts.models import Membership
from lms.auditlog import chain
from lms.bad_input import fits_column

from . import autosave, grading
from .autosave import Saved
from .drawing import BlueprintError, draw_paper
from .eligibility import Prerequisites, prerequisites_for
from .models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamPage,
    QuestionType,
)
from .signals import exam_passed

if TYPE_CHECKING:
    from lms.accounts.models import User

# Answers saved up to 30 s after the deadline still count: a tap in the last second must survive a
# slow mobile network. The page's timer shows the deadline itself, never the grace.
GRACE = timedelta(seconds=30)


class AttemptError(Exception):
    """A rule of the exam stopped the action; ``str(error)`` is a message for the user."""


class ExamUnavailable(AttemptError):
    """The exam is not published, not open yet, or closed."""


class PrerequisitesMissing(AttemptError):
    """The exam certifies a programme whose courses the user has not completed yet."""


class AttemptLimitReached(AttemptError):
    pass


class CooldownActive(AttemptError):
    pass


class PaperConfigurationError(AttemptError):
    """The blueprint cannot be filled from the banks: the trainer must fix the exam."""


class AttemptClosed(AttemptError):
    """The attempt no longer accepts answers (submitted, or its time is up)."""


class InvalidAnswer(AttemptError):
    """The answer names an option that is not on this question, or too many options."""


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def is_expired(attempt: Attempt, now: datetime) -> bool:
    """Past the deadline and its grace: nothing more can be saved."""
    return now > attempt.deadline + GRACE


# --- Eligibility -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamStatus:
    """What one user may do with one exam now, and why not (shown on the exam page)."""

    attempts: list[Attempt]  # the user's attempts at this exam, newest first
    in_progress: Attempt | None
    attempts_left: int | None  # None = unlimited
    next_start_at: datetime | None  # when the cooldown ends, if it has not yet
    blocker: AttemptError | None  # why a new attempt cannot start; str() is for the user
    prerequisites: Prerequisites = Prerequisites()  # courses still to complete, if any
    cooldown_hours: int = 0  # the wait after an attempt ends before the next may start

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and self.blocker is None

    @property
    def is_last_attempt(self) -> bool:
        """The next attempt started would be the last one allowed."""
        return self.attempts_left == 1

    @property
    def retry_after(self) -> datetime | None:
        """If an attempt started now were submitted at once and failed, the earliest moment the
        next could start (None when there is no wait, or no next attempt)."""
        if not self.cooldown_hours or self.is_last_attempt:
            return None
        return timezone.now() + timedelta(hours=self.cooldown_hours)


def exam_status(user: User, exam: ExamPage, now: datetime | None = None) -> ExamStatus:
    """The user's attempts at ``exam`` and whether they may start one; closes an expired one."""
    now = now or timezone.now()
    close_expired_attempts(now, user=user, exam=exam)
    attempts = list(Attempt.objects.filter(user=user, exam=exam).order_by("-number"))
    return _status(exam, attempts, now, prerequisites_for(user, exam))


def _status(
    exam: ExamPage, attempts: list[Attempt], now: datetime, prerequisites: Prerequisites
) -> ExamStatus:
    in_progress = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
    attempts_left = None
    if exam.max_attempts:
        attempts_left = max(exam.max_attempts - len(attempts), 0)
    ended = [a.submitted_at for a in attempts if a.submitted_at is not None]
    next_start_at = None
    if exam.cooldown_hours and ended:
        cooldown_end = max(ended) + timedelta(hours=exam.cooldown_hours)
        if cooldown_end > now:
            next_start_at = cooldown_end

    blocker: AttemptError | None = None
    if not exam.live:
        blocker = ExamUnavailable(_("This exam is not published."))
    elif exam.available_from and now < exam.available_from:
        blocker = ExamUnavailable(
            _("This exam opens on %(date)s.") % {"date": _when(exam.available_from)}
        )
    elif exam.available_until and now >= exam.available_until:
        blocker = ExamUnavailable(
            _("This exam closed on %(date)s.") % {"date": _when(exam.available_until)}
        )
    elif not prerequisites.met and not prerequisites.missing:
        blocker = PrerequisitesMissing(
            _("Earn the CPD hours %(programme)s requires for renewal before you start this exam.")
            % {"programme": prerequisites.programme}
        )
    elif not prerequisites.met:
        blocker = PrerequisitesMissing(
            _("Complete the courses of %(programme)s before you start this exam.")
            % {"programme": prerequisites.programme}
        )
    elif attempts_left == 0 and in_progress is None:
        blocker = AttemptLimitReached(
            _("You have used all %(count)s attempts allowed for this exam.")
            % {"count": exam.max_attempts}
        )
    elif next_start_at is not None:
        blocker = CooldownActive(
            _("You can start your next attempt after %(date)s.") % {"date": _when(next_start_at)}
        )
    return ExamStatus(
        attempts,
        in_progress,
        attempts_left,
        next_start_at,
        blocker,
        prerequisites,
        exam.cooldown_hours,
    )


# --- Starting ----------------------------------------------------------------------------------


def start_attempt(user: User, exam: ExamPage, now: datetime | None = None) -> Attempt:
    """The user's attempt in progress at ``exam``, or a new one with a freshly drawn paper.

    Raises an :class:`AttemptError` (with a message for the user) when the exam is closed, its
    programme's courses are not completed, the attempts are used up, the cooldown has not
    elapsed, or the blueprint cannot be filled.
    """
    now = now or timezone.now()
    close_expired_attempts(now, user=user, exam=exam)
    # Read before the lock: completing a course is not something a start can race with.
    prerequisites = prerequisites_for(user, exam)
    try:
        with transaction.atomic():
            # One start at a time per user: concurrent requests queue here, and the second one
            # finds (and resumes) the attempt the first created.
            list(get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk"))
            attempts = list(Attempt.objects.filter(user=user, exam=exam).order_by("-number"))
            status = _status(exam, attempts, now, prerequisites)
            if status.in_progress is not None:
                return status.in_progress
            if status.blocker is not None:
                raise status.blocker
            return _create_attempt(user, exam, attempts, now)
    except IntegrityError:
        # The constraints caught a race the lock did not (e.g. a start from outside this code).
        existing = Attempt.objects.filter(
            user=user, exam=exam, status=AttemptStatus.IN_PROGRESS
        ).first()
        if existing is None:
            raise
        return existing


def _create_attempt(user: User, exam: ExamPage, attempts: list[Attempt], now: datetime) -> Attempt:
    seed = secrets.randbits(63)
    rng = random.Random(seed)
    deadline = now + timedelta(minutes=exam.time_limit_minutes)
    if exam.available_until and exam.available_until < deadline:
        deadline = exam.available_until
    try:
        paper = draw_paper(exam, rng)
    except BlueprintError as error:
        raise PaperConfigurationError(str(error)) from error
    attempt = Attempt.objects.create(
        user=user,
        exam=exam,
        number=max((a.number for a in attempts), default=0) + 1,
        seed=seed,
        started_at=now,
        deadline=deadline,
    )
    rows = []
    for position, (version, case) in enumerate(paper, start=1):
        choice_ids = [choice["id"] for choice in version.data["choices"]]
        if exam.shuffle_choices and version.data["type"] != QuestionType.TRUE_FALSE:
            rng.shuffle(choice_ids)
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                position=position,
                version=version,
                case=case,
                question_type=version.data["type"],
                choice_order=choice_ids,
                max_mark=Decimal(version.data["mark"]),
            )
        )
    AttemptQuestion.objects.bulk_create(rows)
    return attempt


# --- Answering ---------------------------------------------------------------------------------


def save_answer(
    attempt: Attempt,
    position: int,
    choice_ids: list[int],
    now: datetime | None = None,
    *,
    user: User | None = None,
) -> Saved:
    """Autosave one question's answer (an empty list clears it); with ``user``, only on their
    attempt (:class:`Attempt.DoesNotExist` otherwise).

    One statement (:mod:`exams.autosave`) when the answer is accepted. When it is refused,
    :func:`save_answers` finds out why and raises accordingly, closing an expired attempt.
    """
    now = now or timezone.now()
    saved = autosave.save_one(
        attempt.pk, position, choice_ids, now, GRACE, user_id=None if user is None else user.pk
    )
    if saved is not None:
        return saved
    row = save_answers(attempt, {position: choice_ids}, now, user=user)[0]
    return Saved(position=row.position, answered=bool(row.response))


def save_answers(
    attempt: Attempt,
    answers: Mapping[int, list[int]],
    now: datetime | None = None,
    *,
    user: User | None = None,
) -> list[AttemptQuestion]:
    """Save answers by position (the page's plain form posts them all at once).

    Raises :class:`AttemptClosed` once the attempt is submitted or past its deadline and grace
    (closing it first), :class:`InvalidAnswer` for a position or option not on the paper. Three
    queries whatever the paper's size: one locked read of the attempt and its questions, one
    update, and the transaction's savepoint where one is open.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Locking the attempt orders this save against a concurrent submit: an answer is either
        # in the graded paper or refused, never saved after grading. The questions are read in
        # the same locked query, which with ``user`` also checks ownership: an autosave costs
        # one read and one write.
        # A position beyond the column's range is on no paper (and SQLite cannot be sent one
        # beyond 64 bits): left out of the query, it is refused below like any missing one.
        position_field = AttemptQuestion._meta.get_field("position")
        positions = [position for position in answers if fits_column(position_field, position)]
        rows = (
            AttemptQuestion.objects.select_for_update(of=("attempt",))
            .select_related("attempt")
            .filter(attempt_id=attempt.pk, position__in=positions)
            .only(
                "position",
                "choice_order",
                "question_type",
                "attempt__status",
                "attempt__deadline",
            )
        )
        if user is not None:
            rows = rows.filter(attempt__user=user)
        found = list(rows)
        if found:
            status, deadline = found[0].attempt.status, found[0].attempt.deadline
        else:  # no such attempt (or not this user's), or no such position: tell which
            lookup = Attempt.objects.select_for_update().filter(pk=attempt.pk)
            if user is not None:
                lookup = lookup.filter(user=user)
            locked = lookup.only("status", "deadline").first()
            if locked is None:
                raise Attempt.DoesNotExist
            status, deadline = locked.status, locked.deadline
        if status != AttemptStatus.IN_PROGRESS:
            raise AttemptClosed(_closed_message_for(status))
        expired = now > deadline + GRACE
        if not expired:
            changed = _save_rows(found, answers, now)
    if expired:  # graded outside the lock above: submit_attempt takes its own
        closed = submit_attempt(Attempt.objects.select_related("exam").get(pk=attempt.pk), now)
        raise AttemptClosed(_closed_message(closed))
    return changed


def _save_rows(
    found: list[AttemptQuestion], answers: Mapping[int, list[int]], now: datetime
) -> list[AttemptQuestion]:
    """Validate answers against the rows read and write them: one UPDATE for an autosave."""
    rows = {row.position: row for row in found}
    changed = []
    for position, choice_ids in answers.items():
        row = rows.get(position)
        if row is None:
            raise InvalidAnswer(
                _("There is no question %(position)s on this paper.") % {"position": position}
            )
        response = _validated(row, choice_ids)
        row.response = response
        row.answered_at = now if response else None
        changed.append(row)
    if len(changed) == 1:  # autosave: a plain UPDATE is cheaper than bulk_update's CASE
        row = changed[0]
        AttemptQuestion.objects.filter(pk=row.pk).update(
            response=row.response, answered_at=row.answered_at
        )
    else:
        AttemptQuestion.objects.bulk_update(changed, ["response", "answered_at"])
    return changed


def _validated(row: AttemptQuestion, choice_ids: list[int]) -> list[int] | None:
    chosen = set(choice_ids)
    if not chosen <= set(row.choice_order):
        raise InvalidAnswer(_("That answer is not one of this question's options."))
    if len(chosen) > 1 and row.question_type in grading.SINGLE_ANSWER_TYPES:
        raise InvalidAnswer(_("Choose only one answer for this question."))
    # Stored in paper order, so the review lists them as the page did.
    return [pk for pk in row.choice_order if pk in chosen] or None


def _closed_message(attempt: Attempt) -> str:
    return _closed_message_for(attempt.status)


def _closed_message_for(status: str) -> str:
    if status == AttemptStatus.SUBMITTED:
        return _("This attempt has already been submitted.")
    return _("Time is up: this attempt was closed with the answers saved before the deadline.")


# --- Submitting and closing --------------------------------------------------------------------


def submit_attempt(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Grade and close the attempt, once; later calls return the stored result unchanged.

    Closed after the deadline, the attempt is ``timed_out`` and counts as ending at the deadline
    (for the cooldown); only answers saved in time are on it, since saving stops at the grace.
    Five queries whatever the paper's size, and one more for a pass (the certification
    programmes it may complete).
    """
    return _grade(attempt.pk, now or timezone.now())[0]


def _grade(attempt_id: int, now: datetime) -> tuple[Attempt, bool]:
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("exam")
            .get(pk=attempt_id)
        )
        if attempt.status != AttemptStatus.IN_PROGRESS:
            return attempt, False
        questions = list(
            AttemptQuestion.objects.filter(attempt_id=attempt_id)
            .select_related("version")
            .only("response", "max_mark", "mark", "version__data")
        )
        marks = []
        for question in questions:
            question.mark = mark = grading.question_mark(
                question.version.data, question.response, question.max_mark
            )
            marks.append(mark)
        AttemptQuestion.objects.bulk_update(questions, ["mark"])
        outcome = grading.result(
            marks,
            [q.max_mark for q in questions],
            attempt.exam.pass_mark_percent,
        )
        if now > attempt.deadline:
            attempt.status = AttemptStatus.TIMED_OUT
            attempt.submitted_at = attempt.deadline
        else:
            attempt.status = AttemptStatus.SUBMITTED
            attempt.submitted_at = now
        attempt.score = outcome.score
        attempt.max_score = outcome.max_score
        attempt.percent = outcome.percent
        attempt.passed = outcome.passed
        attempt.save(
            update_fields=["status", "submitted_at", "score", "max_score", "percent", "passed"]
        )
        if attempt.passed:
            # In this transaction: a passing grade and what its receivers record (certification's
            # issuance request) exist together.
            exam_passed.send(Attempt, attempt=attempt)
        _record_graded(attempt, questions, now)
        return attempt, True


def _record_graded(attempt: Attempt, questions: list[AttemptQuestion], now: datetime) -> None:
    """The audit events of a grading, last in its transaction: ``attempt.submitted`` (when and
    how it ended, how many questions were answered) and ``attempt.graded`` (the result). Never
    the answers or the marks per question: those stay on the paper, where the review shows them.
    The collector's firms are those of their memberships active on the day."""
    firms = [
        membership.firm
        for membership in Membership.objects.active(timezone.localdate(now))
        .filter(user_id=attempt.user_id)
        .select_related("firm")
        .order_by("firm_id")
    ]
    common = {
        "attempt_id": attempt.pk,
        "exam_id": attempt.exam_id,
        "number": attempt.number,
    }
    label = f"{attempt.exam.title} #{attempt.number}"[:200]
    for event_type, payload in (
        (
            "attempt.submitted",
            {
                **common,
                "status": attempt.status,
                "started_at": attempt.started_at,
                "deadline": attempt.deadline,
                "submitted_at": attempt.submitted_at,
                "questions": len(questions),
                "answered": sum(1 for question in questions if question.response),
            },
        ),
        (
            "attempt.graded",
            {
                **common,
                "score": attempt.score,
                "max_score": attempt.max_score,
                "percent": attempt.percent,
                "pass_mark_percent": attempt.exam.pass_mark_percent,
                "passed": attempt.passed,
            },
        ),
    ):
        chain.record(
            event_type,
            subject=attempt,
            subject_label=label,
            firms=firms,
            persons=[attempt.user_id],
            payload=payload,
        )


def close_expired_attempts(
    now: datetime | None = None, *, user: User | None = None, exam: ExamPage | None = None
) -> int:
    """Grade every attempt still open past its deadline and grace; returns how many it closed.

    Safe to run twice or concurrently: each attempt is graded under its row lock, once.
    """
    now = now or timezone.now()
    expired = Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS, deadline__lt=now - GRACE)
    if user is not None:
        expired = expired.filter(user=user)
    if exam is not None:
        expired = expired.filter(exam=exam)
    closed = 0
    for attempt_id in expired.values_list("pk", flat=True):
        closed += _grade(attempt_id, now)[1]
    return closed


def close_if_expired(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """The attempt, graded first if its time ran out (every request touching it calls this)."""
    now = now or timezone.now()
    if attempt.is_open and is_expired(attempt, now):
        return submit_attempt(attempt, now)
    return attempt
