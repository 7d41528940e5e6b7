"""Applications as the review screens meet them: on the published agency checklist (migration
0003), answered with the best options, with the evidence the checklist requires."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from lms.accounts.models import FirmKind
from lms.admission.models import (
    Answer,
    Application,
    ApplicationStatus,
    EvidenceRule,
    LicenceDocument,
    LicenceKind,
    Question,
    QuestionKind,
    Questionnaire,
)
from tests.factories import credit_code

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_application(
    *,
    number: int = 1,
    status: str = ApplicationStatus.SUBMITTED,
    blocker: bool = False,
    with_evidence: bool = True,
    **fields: object,
) -> Application:
    """A submitted agency application answered with each question's first (best) option, or
    with the blocker option where ``blocker`` is true and the question has one."""
    questionnaire = Questionnaire.current(FirmKind.AGENCY)
    assert questionnaire is not None  # published by migration 0003
    values: dict[str, object] = {
        "questionnaire": questionnaire,
        "firm_name": f"申请机构{number}",
        "credit_code": credit_code(900 + number),
        "firm_kind": FirmKind.AGENCY,
        "contact_name": "联系人",
        "contact_email": f"contact{number}@applicant.test",
        "status": status,
        "channels": ["phone", "sms"],
        "staff_count": 40,
        "submitted_at": timezone.now(),
    }
    values.update(fields)
    application = Application.objects.create(**values)
    licence = LicenceDocument(
        application=application,
        kind=LicenceKind.BUSINESS,
        content_type="application/pdf",
        original_name="营业执照.pdf",
        size=len(PDF),
    )
    licence.file.save("licence.pdf", ContentFile(PDF), save=False)
    licence.save()
    for question in Question.objects.filter(
        section__questionnaire=questionnaire, kind=QuestionKind.CHOICE
    ).prefetch_related("options"):
        options = list(question.options.all())
        chosen = next((o for o in options if o.is_blocker), None) if blocker else None
        answer = Answer(application=application, question=question, option=chosen or options[0])
        if with_evidence and question.evidence == EvidenceRule.REQUIRED:
            answer.evidence_content_type = "application/pdf"
            answer.evidence_name = "证明材料.pdf"
            answer.evidence.save("evidence.pdf", ContentFile(PDF), save=False)
        answer.save()
    return application


def judgement_questions(application: Application) -> list[Question]:
    return list(
        Question.objects.filter(
            section__questionnaire=application.questionnaire, kind=QuestionKind.JUDGEMENT
        ).order_by("pk")
    )
