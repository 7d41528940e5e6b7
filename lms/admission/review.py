"""The reviewer's work on an application before the decision: taking it on, and scoring the
questions that need judgement.

Every change checks ``access.can_review`` (a reviewer without a conflict of interest): the
refusal says why, so the screen can show it. The decision itself is ``decisions.py``'s.
Starting the review of a re-assessment measures the firm's training readiness again
(``reassessment.refresh_readiness``): the draft may have waited weeks since it opened.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import reassessment
from .access import conflict_of_interest, is_reviewer
from .models import Answer, Application, ApplicationStatus, Question, QuestionKind

SCORABLE_STATUSES = (ApplicationStatus.UNDER_REVIEW,)


def refusal(user, application: Application) -> str | None:
    """Why ``user`` may not change ``application``, or None."""
    if not is_reviewer(user):
        return _("Only admission reviewers may review applications.")
    return conflict_of_interest(user, application)


def check(user, application: Application) -> None:
    reason = refusal(user, application)
    if reason:
        raise PermissionDenied(reason)


@transaction.atomic
def start_review(application: Application, *, by) -> Application:
    """Take a submitted application on: it is now under review, by ``by``; a re-assessment's
    readiness and metric answers are measured again."""
    check(by, application)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.status != ApplicationStatus.SUBMITTED:
        raise ValidationError(
            _("Only a submitted application can be taken on; this one is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    locked.status = ApplicationStatus.UNDER_REVIEW
    locked.reviewer = by
    locked.review_started_at = timezone.now()
    locked.save(update_fields=["status", "reviewer", "review_started_at", "updated_at"])
    reassessment.refresh_readiness(locked)
    return locked


def judgement_questions(application: Application) -> list[Question]:
    """The questions of ``application``'s questionnaire a reviewer scores, in order."""
    return list(
        Question.objects.filter(
            section__questionnaire_id=application.questionnaire_id, kind=QuestionKind.JUDGEMENT
        )
        .select_related("section")
        .order_by("section__sort_order", "section_id", "sort_order", "pk")
    )


@transaction.atomic
def score_judgements(
    application: Application, scores: dict[int, tuple[Decimal | None, str]], *, by
) -> int:
    """Record the reviewer's scores (0–100) and notes, by question pk; a None score clears
    it. Only while the application is under review. Returns how many answers changed."""
    check(by, application)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.status not in SCORABLE_STATUSES:
        raise ValidationError(
            _("Scores can be given while the application is under review; it is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    valid = {question.pk for question in judgement_questions(locked)}
    changed = 0
    now = timezone.now()
    for question_pk, (score, note) in scores.items():
        if question_pk not in valid:
            raise ValidationError(_("That question is not scored by a reviewer."))
        if score is not None and not Decimal(0) <= score <= Decimal(100):
            raise ValidationError(_("A score is between 0 and 100."))
        answer, _created = Answer.objects.get_or_create(application=locked, question_id=question_pk)
        if answer.reviewer_score == score and answer.reviewer_note == note:
            continue
        answer.reviewer_score = score
        answer.reviewer_note = note
        answer.scored_by = by if score is not None else None
        answer.scored_at = now if score is not None else None
        answer.save(update_fields=["reviewer_score", "reviewer_note", "scored_by", "scored_at"])
        changed += 1
    return changed
