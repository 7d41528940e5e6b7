"""Demo admission applications, one per state, and the demo agency's admission (seed_demo 110).

Six applications show every state a reviewer meets: a draft, a submitted one, one under review,
one admitted with a condition due, one rejected and one banned (proposed by 吴敬, confirmed by
郑洁, so the ban list has a row). The decisions are taken through ``decisions``, as a reviewer
would. 晴川资产 (the demo agency, seeded at order 90) gets an admission decision valid for 20
more days, so ``open_reassessments`` has something to open. Idempotent: an application whose
credit code exists is left alone, and 晴川资产's decision is made once.
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

from . import decisions
from .models import (
    Answer,
    Application,
    ApplicationStatus,
    Conclusion,
    Decision,
    EvidenceRule,
    Question,
    QuestionKind,
    Questionnaire,
    RecordingCapability,
)

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


def answer_everything(
    application: Application, *, blocker: bool = False, judgement: Decimal = Decimal(85)
) -> None:
    """Answer every choice question with its best option (or a blocker one, if ``blocker``
    and the question has one), give required evidence, and score judgement questions."""
    questions = Question.objects.filter(section__questionnaire=application.questionnaire)
    used_blocker = False
    for question in questions.prefetch_related("options"):
        answer = Answer(application=application, question=question)
        if question.kind == QuestionKind.CHOICE:
            options = sorted(question.options.all(), key=lambda o: -o.points)
            blockers = [o for o in options if o.is_blocker]
            if blocker and blockers and not used_blocker:
                answer.option, used_blocker = blockers[0], True
            else:
                answer.option = next((o for o in options if not o.is_blocker), None)
        elif question.kind == QuestionKind.JUDGEMENT:
            answer.reviewer_score = judgement
        elif question.kind == QuestionKind.METRIC:
            continue
        if question.evidence == EvidenceRule.REQUIRED:
            answer.evidence.save("evidence.pdf", ContentFile(DEMO_PDF), save=False)
            answer.evidence_content_type = "application/pdf"
            answer.evidence_name = "evidence.pdf"
        answer.save()


def build_application(
    name: str, code: str, contact: str, *, status: str = ApplicationStatus.SUBMITTED
) -> Application:
    """An agency's first application with its basics filled in, at ``status``."""
    now = timezone.now()
    questionnaire = Questionnaire.current(FirmKind.AGENCY)
    assert questionnaire is not None  # migration 0003 publishes one
    return Application.objects.create(
        questionnaire=questionnaire,
        firm_name=name,
        credit_code=code,
        firm_kind=FirmKind.AGENCY,
        legal_representative=contact,
        registered_address="湖北省武汉市",
        registered_capital=Decimal(1000),
        contact_name=contact,
        contact_email=f"{code.lower()}@demo.test",
        contact_phone="13700137000",
        channels=["phone", "sms"],
        staff_count=40,
        call_recording=RecordingCapability.FULL,
        field_recording=RecordingCapability.PARTIAL,
        status=status,
        submitted_at=None if status == ApplicationStatus.DRAFT else now,
        review_started_at=now if status == ApplicationStatus.UNDER_REVIEW else None,
    )


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
            status = {
                "draft": ApplicationStatus.DRAFT,
                "submitted": ApplicationStatus.SUBMITTED,
            }.get(state, ApplicationStatus.UNDER_REVIEW)
            application = build_application(name, code, contact, status=status)
            answer_everything(application, blocker=state == "banned")
            if state == "under_review":
                application.reviewer = reviewer
                application.save(update_fields=["reviewer"])
            elif state == "conditional":
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
    """晴川资产's admission, decided a year ago less 20 days: it expires within 30 days."""
    firm = Firm.objects.filter(credit_code=credit_code(GOOD_AGENCY_CODE_BASE)).first()
    if firm is None or firm.admission_applications.exists():
        return
    today = timezone.localdate()
    valid_until = today + timedelta(days=EXPIRES_IN_DAYS)
    with transaction.atomic():
        application = build_application(firm.name, firm.credit_code, "晴川联系人")
        application.firm = firm
        application.contact_email = "manager@demo.test"
        application.reviewer = reviewer
        application.save(update_fields=["firm", "contact_email", "reviewer"])
        answer_everything(application)
        # Decided by the demo reviewer without the service: the firm was admitted (order 90)
        # before this decision existed, and its date lies in the past.
        decided_at = timezone.now() - timedelta(days=365 - EXPIRES_IN_DAYS)
        change = firm.change_status(
            FirmStatus.ADMITTED,
            by=reviewer,
            reason="准入审核：通过（演示，一年前作出）。",
            admission_expires_on=valid_until,
        )
        Decision.objects.create(
            application=application,
            conclusion=Conclusion.ADMITTED,
            state="effective",
            reasons="资质齐全，录音能力完整，合作历史可核实。",
            valid_until=valid_until,
            proposed_by=reviewer,
            proposed_at=decided_at,
            status_change=change,
        )
        application.status = ApplicationStatus.ADMITTED
        application.submitted_at = decided_at
        application.save(update_fields=["status", "submitted_at"])
    report.line(
        f"created admission decision for {firm.name}, valid until {valid_until:%Y-%m-%d}",
        created=1,
    )
