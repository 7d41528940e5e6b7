"""Demo admission applications, one per state, and the demo agency's admission (seed_demo 110).

Six applications show every state a reviewer meets: a draft, a submitted one, one under review,
one admitted with a condition due, one rejected and one banned (proposed by 吴敬, confirmed by
郑洁, so the ban list has a row). Each goes through the services an applicant and a reviewer use,
so the data is what they produce: ``application.start`` (the draft and its link), the draft's
basics, answers, evidence and a business licence, ``application.submit`` (its checks and
receipt), ``review.start_review`` and ``review.score_judgements`` (吴敬 takes it on and scores
it), and ``decisions`` for the outcome. 晴川资产 (the demo agency, seeded at order 90) gets an
admission decision valid for 20 more days, so ``open_reassessments`` has something to open
(:func:`seed_expiring_admission` says why that one is written directly). Idempotent: an
application whose credit code exists is left alone, and 晴川资产's decision is made once.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

from lms.accounts.models import BanCategory, Firm, FirmKind, FirmStatus, User
from lms.lib.demo import DemoReport

from . import application as applying
from . import decisions, review
from .models import (
    Answer,
    Application,
    ApplicationStatus,
    Conclusion,
    Decision,
    EvidenceRule,
    LicenceDocument,
    LicenceKind,
    Question,
    QuestionKind,
    Questionnaire,
    RecordingCapability,
)
from .scoring import score_application

REVIEWER = "admission@demo.test"
SECOND_REVIEWER = "admission2@demo.test"
GOOD_AGENCY_CODE_BASE = "91420106MA4K2B8C0"  # 晴川资产 (lms.compliance.demo)
EXPIRES_IN_DAYS = 20
# A one-page PDF stands in for an uploaded evidence document.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
    b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def credit_code(base: str) -> str:
    return base + uscc.calc_check_digit(base)


# (name, 17 characters of the credit code, contact, the state it ends in)
DEMO_APPLICATIONS = (
    ("江城草稿资产管理有限公司", "91420100MA4L0D1A0", "草稿联系人", "draft"),
    ("湖滨已提交催收服务有限公司", "91420100MA4L0D2B0", "林提交", "submitted"),
    ("汉口审核中资产管理有限公司", "91420100MA4L0D3C0", "何审核", "under_review"),
    ("武昌附条件资产管理有限公司", "91420100MA4L0D4D0", "许条件", "conditional"),
    ("光谷未通过信息咨询有限公司", "91420100MA4L0D5E0", "韩未过", "rejected"),
    ("江夏暴力催收服务有限公司", "91420100MA4L0D6F0", "罗禁入", "banned"),
)


def answer_everything(application: Application, *, blocker: bool = False) -> None:
    """As the applicant: answer every choice question with its best option (or a blocker one,
    if ``blocker`` and the question has one) and give the evidence a question requires."""
    questions = Question.objects.filter(
        section__questionnaire=application.questionnaire, kind=QuestionKind.CHOICE
    )
    used_blocker = False
    for question in questions.prefetch_related("options"):
        answer = Answer(application=application, question=question)
        options = sorted(question.options.all(), key=lambda o: -o.points)
        blockers = [o for o in options if o.is_blocker]
        if blocker and blockers and not used_blocker:
            answer.option, used_blocker = blockers[0], True
        else:
            answer.option = next((o for o in options if not o.is_blocker), None)
        attach_evidence(answer)
        answer.save()
    for question in Question.objects.filter(
        section__questionnaire=application.questionnaire,
        kind=QuestionKind.JUDGEMENT,
        evidence=EvidenceRule.REQUIRED,
    ):
        answer = Answer(application=application, question=question, comment="见附件。")
        attach_evidence(answer)
        answer.save()


def attach_evidence(answer: Answer) -> None:
    """The demo PDF as the answer's evidence, if its question requires evidence."""
    if answer.question.evidence == EvidenceRule.REQUIRED:
        answer.evidence.save("evidence.pdf", ContentFile(DEMO_PDF), save=False)
        answer.evidence_content_type = "application/pdf"
        answer.evidence_name = "evidence.pdf"


def fill_in(application: Application, contact: str) -> None:
    """As the applicant on the draft's page: the basics, the agency's capability and the
    business licence (营业执照)."""
    application.legal_representative = contact
    application.registered_address = "湖北省武汉市"
    application.registered_capital = Decimal(1000)
    application.contact_phone = "13700137000"
    application.channels = ["phone", "sms"]
    application.staff_count = 40
    application.call_recording = RecordingCapability.FULL
    application.field_recording = RecordingCapability.PARTIAL
    application.recording_details = "呼叫中心全程录音；外访人员配备执法记录仪。"
    application.save()
    licence = LicenceDocument(
        application=application,
        kind=LicenceKind.BUSINESS,
        content_type="application/pdf",
        original_name="营业执照.pdf",
        size=len(DEMO_PDF),
    )
    licence.file.save("business-licence.pdf", ContentFile(DEMO_PDF), save=False)
    licence.save()


def build_application(
    name: str, code: str, contact: str, *, state: str, reviewer: User
) -> Application:
    """An agency's first application brought to ``state`` (draft, submitted or under review)
    through the applicant's and the reviewer's services; under review, 吴敬 has scored it."""
    application, _link = applying.start(
        firm_kind=FirmKind.AGENCY,
        firm_name=name,
        credit_code=code,
        contact_name=contact,
        contact_email=f"{code.lower()}@demo.test",
    )
    fill_in(application, contact)
    answer_everything(application, blocker=state == "banned")
    if state == "draft":
        return application
    applying.submit(application)
    if state == "submitted":
        return application
    application = review.start_review(application, by=reviewer)
    scores: dict[int, tuple[Decimal | None, str]] = {
        question.pk: (Decimal(85), "材料与现场核查一致。")
        for question in review.judgement_questions(application)
    }
    review.score_judgements(application, scores, by=reviewer)
    return application


def seed_applications(report: DemoReport) -> None:
    """The six demo applications and 晴川资产's admission (see the module docstring)."""
    reviewer = User.objects.get(email=REVIEWER)
    second = User.objects.get(email=SECOND_REVIEWER)
    today = timezone.localdate()
    for name, base, contact, state in DEMO_APPLICATIONS:
        code = credit_code(base)
        if Application.objects.filter(credit_code=code).exists():
            continue
        with transaction.atomic():
            application = build_application(name, code, contact, state=state, reviewer=reviewer)
            if state == "conditional":
                decisions.decide(
                    application,
                    by=reviewer,
                    conclusion=Conclusion.CONDITIONAL,
                    reasons="资质齐全；外访录音设备尚未全覆盖。",
                    conditions=[
                        decisions.ConditionSpec(
                            "为全部外访人员配备执法记录仪并提交清单", today + timedelta(days=45)
                        )
                    ],
                )
            elif state == "rejected":
                decisions.decide(
                    application,
                    by=reviewer,
                    conclusion=Conclusion.REJECTED,
                    reasons="无通话录音能力，合作历史无法核实。",
                )
            elif state == "banned":
                decision = decisions.decide(
                    application,
                    by=reviewer,
                    conclusion=Conclusion.BANNED,
                    reasons="经核实存在暴力催收记录（公安机关处罚决定书）。",
                    ban_category=BanCategory.VIOLENT_COLLECTION,
                )
                decisions.confirm(decision, by=second)
        report.line(f"created admission application {name} ({state})", created=1)
    seed_expiring_admission(report, reviewer)


def seed_expiring_admission(report: DemoReport, reviewer: User) -> None:
    """晴川资产's admission, decided a year ago less 20 days: it expires within 30 days.

    Written directly, not through the services: the firm is already admitted (order 90), so
    ``application.submit`` would refuse its credit code, and ``decisions.decide`` dates a
    decision today with at most the questionnaire's validity from today, whereas this one
    must lie in the past. The application, the decision and the firm's status change are
    the rows the services would have left a year ago; the status change and the decision are
    recorded in the audit log by the same functions the services use (``Firm.change_status``,
    ``decisions.record_decision``)."""
    firm = Firm.objects.filter(credit_code=credit_code(GOOD_AGENCY_CODE_BASE)).first()
    if firm is None or firm.admission_applications.exists():
        return
    today = timezone.localdate()
    valid_until = today + timedelta(days=EXPIRES_IN_DAYS)
    decided_at = timezone.now() - timedelta(days=365 - EXPIRES_IN_DAYS)
    with transaction.atomic():
        questionnaire = Questionnaire.current(FirmKind.AGENCY)
        assert questionnaire is not None  # migration 0003 publishes one
        application = Application.objects.create(
            questionnaire=questionnaire,
            firm=firm,
            firm_name=firm.name,
            credit_code=firm.credit_code,
            firm_kind=FirmKind.AGENCY,
            contact_name="晴川联系人",
            contact_email="manager@demo.test",
            status=ApplicationStatus.DRAFT,
            reviewer=reviewer,
        )
        fill_in(application, "晴川联系人")
        answer_everything(application)
        for question in review.judgement_questions(application):
            answer = applying.answer_for(application, question)
            answer.reviewer_score, answer.scored_by, answer.scored_at = (
                Decimal(85),
                reviewer,
                decided_at,
            )
            answer.save()
        result = score_application(application)
        change = firm.change_status(
            FirmStatus.ADMITTED,
            by=reviewer,
            reason="准入审核：通过（演示，一年前作出）。",
            admission_expires_on=valid_until,
        )
        decision = Decision.objects.create(
            application=application,
            conclusion=Conclusion.ADMITTED,
            state="effective",
            reasons="资质齐全，录音能力完整，合作历史可核实。",
            score=result.total,
            section_scores=result.snapshot(),
            valid_until=valid_until,
            proposed_by=reviewer,
            proposed_at=decided_at,
            status_change=change,
        )
        application.status = ApplicationStatus.ADMITTED
        application.submitted_at = decided_at
        application.save(update_fields=["status", "submitted_at"])
        # The audit trail gets the decision as the services would have recorded it (dated
        # now; its payload keeps the decision's own date, a year ago).
        decisions.record_decision(decision, application, step="decided", by=reviewer)
    report.line(
        f"created admission decision for {firm.name}, valid until {valid_until:%Y-%m-%d}",
        created=1,
    )
