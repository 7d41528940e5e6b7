"""Builders for the decision tests: an agency's application with every question answered."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from lms.accounts.models import FirmKind
from lms.admission.demo import answer_everything, fill_in
from lms.admission.models import (
    Answer,
    Application,
    ApplicationStatus,
    Question,
    QuestionKind,
    Questionnaire,
    ReviewKind,
)
from tests.factories import credit_code


def make_application(
    number: int,
    *,
    status: str = ApplicationStatus.UNDER_REVIEW,
    blocker: bool = False,
    judgement: Decimal | None = Decimal(85),
    firm=None,
    contact_email: str = "",
) -> Application:
    """An agency's first application (or, with ``firm``, its re-assessment), fully answered,
    at ``status``; ``judgement=None`` leaves the judgement questions unscored."""
    code = firm.credit_code if firm is not None else credit_code(number)
    questionnaire = Questionnaire.current(FirmKind.AGENCY)
    assert questionnaire is not None
    now = timezone.now()
    application = Application.objects.create(
        questionnaire=questionnaire,
        firm=firm,
        review_kind=ReviewKind.REASSESSMENT if firm is not None else ReviewKind.INITIAL,
        firm_name=f"申请机构{number}",
        credit_code=code,
        firm_kind=FirmKind.AGENCY,
        contact_name=f"联系人{number}",
        contact_email=contact_email or f"contact{number}@example.com",
        status=status,
        submitted_at=None if status == ApplicationStatus.DRAFT else now,
        review_started_at=now if status == ApplicationStatus.UNDER_REVIEW else None,
    )
    fill_in(application, f"联系人{number}")
    answer_everything(application, blocker=blocker)
    if judgement is not None:
        for question in Question.objects.filter(
            section__questionnaire=questionnaire, kind=QuestionKind.JUDGEMENT
        ):
            answer, _created = Answer.objects.get_or_create(
                application=application, question=question
            )
            answer.reviewer_score = judgement
            answer.save()
    return application
