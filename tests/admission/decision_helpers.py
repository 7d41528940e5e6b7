"""Builders for the decision tests: an agency's application with every question answered."""

from __future__ import annotations

from decimal import Decimal

from lms.admission.demo import answer_everything, build_application
from lms.admission.models import Application, ApplicationStatus, ReviewKind
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
    """An agency's first application (or, with ``firm``, its re-assessment), fully answered;
    ``judgement=None`` leaves the judgement questions unscored."""
    code = firm.credit_code if firm is not None else credit_code(number)
    application = build_application(f"申请机构{number}", code, f"联系人{number}", status=status)
    if firm is not None:
        application.firm = firm
        application.review_kind = ReviewKind.REASSESSMENT
    application.contact_email = contact_email or f"contact{number}@example.com"
    application.save()
    answer_everything(application, blocker=blocker, judgement=judgement or Decimal(0))
    if judgement is None:
        application.answers.update(reviewer_score=None)
    return application
