"""Builders for the re-assessment tests: an admitted firm whose admission expires in a given
number of days, with the decided application it was admitted on (answers, a reference, an
effective decision), written straight to the database as the decision services leave it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from lms.accounts.models import Firm, FirmKind
from lms.admission.models import (
    Answer,
    Application,
    ApplicationStatus,
    Conclusion,
    CooperationReference,
    Decision,
    DecisionState,
    Question,
    QuestionKind,
    Questionnaire,
    ReviewKind,
)
from tests.factories import FirmFactory, UserFactory


def expiring_firm(days: int, *, kind: str = FirmKind.AGENCY, **fields) -> Firm:
    """An admitted firm whose admission expires ``days`` from today (negative: expired)."""
    firm = FirmFactory(kind=kind, **fields)
    firm.admission_expires_on = timezone.localdate() + timedelta(days=days)
    Firm.objects.filter(pk=firm.pk).update(admission_expires_on=firm.admission_expires_on)
    return firm


def decided_application(firm: Firm, *, comment: str = "全程录音，保存三年") -> Application:
    """The admitted first application of ``firm``: every choice question answered with its
    first option, a reference, and an effective decision."""
    questionnaire = Questionnaire.current(firm.kind)
    assert questionnaire is not None
    application = Application.objects.create(
        review_kind=ReviewKind.INITIAL,
        status=ApplicationStatus.ADMITTED,
        questionnaire=questionnaire,
        firm=firm,
        firm_name=firm.name,
        credit_code=firm.credit_code,
        firm_kind=firm.kind,
        legal_representative="王法人",
        registered_address="上海市浦东新区世纪大道100号",
        registered_capital=Decimal("5000.00"),
        contact_name="李联系",
        contact_email="contact@agency.example",
        contact_phone="13900000001",
        channels=["phone", "sms"],
        staff_count=120,
        call_recording="full",
        field_recording="partial",
        recording_details="呼叫中心系统，执法记录仪",
    )
    CooperationReference.objects.create(
        application=application, lender_name="阳光银行", from_year=2019, to_year=2024
    )
    for question in Question.objects.filter(section__questionnaire=questionnaire):
        if question.kind == QuestionKind.CHOICE:
            Answer.objects.create(
                application=application,
                question=question,
                option=question.options.order_by("sort_order").first(),
                comment=comment,
            )
        elif question.kind == QuestionKind.JUDGEMENT:
            Answer.objects.create(
                application=application,
                question=question,
                comment="见附件",
                reviewer_score=Decimal(80),
            )
    reviewer = UserFactory()
    Decision.objects.create(
        application=application,
        conclusion=Conclusion.ADMITTED,
        state=DecisionState.EFFECTIVE,
        reasons="材料齐全",
        valid_until=firm.admission_expires_on,
        proposed_by=reviewer,
    )
    return application
