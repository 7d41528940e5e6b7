"""Demo partner firms, their staff, audit findings, ratings and an API token (issue 6).

One lender (阳光消费金融) contracts two collection agencies: 晴川资产 is admitted and in good
standing; 云岭咨询 is admitted but under the admission thresholds, so its rating flags it for a
human decision. Collectors span grades A to D and findings every status, all reached the way
real ones are (certificates earned by passing the exam, findings recorded and decided by the
demo auditor), then ratings are computed. Idempotent: a firm that exists is left alone, and
nothing below it is touched again.

陈四 (云岭咨询) also has a *critical* finding still open, and the auditor suspended their
certificate pending it through ``findings.suspend_certificates``
(:func:`ensure_finding_suspension`), so the finding page lists the suspension and deciding the
finding ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

from exams.certificates.demo import HOLDER, PROGRAMME, REVOKED_HOLDER, SUSPENDED_HOLDER, earn
from exams.certificates.models import CertificationProgramme, ProgrammeAssignment
from lms.accounts.demo import DEMO_PASSWORD
from lms.accounts.models import Contract, Firm, FirmKind, FirmStatus, MembershipRole, User
from lms.accounts.onboarding.memberships import join
from lms.accounts.roles import Role

from . import findings, recompute
from .models import ApiScope, ApiToken, Finding, FindingCategory, FindingSource, Severity


def credit_code(base: str) -> str:
    """A valid unified social credit code from its first 17 characters (GB 32100-2015)."""
    return base + uscc.calc_check_digit(base)


LENDER = ("阳光消费金融有限公司", credit_code("91310115MA1K4A0D0"))
GOOD_AGENCY = ("晴川资产管理有限公司", credit_code("91420106MA4K2B8C0"))
FLAGGED_AGENCY = ("云岭信息咨询服务有限公司", credit_code("91530102MA6N3C7E1"))
MANAGER = "manager@demo.test"
LENDER_MANAGER = "lender@demo.test"
TOKEN_NAME = "催收平台（演示）"


@dataclass(frozen=True)
class DemoCollector:
    email: str
    legal_name: str
    phone: str
    employee_number: str
    certified: bool  # earns the programme's certificate by passing the exam


GOOD_STAFF = (
    DemoCollector(HOLDER, "张三", "13800138001", "QC-001", True),
    DemoCollector("wu.yi@demo.test", "吴一", "13800138002", "QC-002", True),
    DemoCollector("wei.liu@demo.test", "卫六", "13800138005", "QC-005", True),
)
FLAGGED_STAFF = (
    DemoCollector(REVOKED_HOLDER, "王五", "13900139001", "YL-001", False),
    DemoCollector("zheng.er@demo.test", "郑二", "13900139004", "YL-004", True),
    DemoCollector("feng.san@demo.test", "冯三", "13900139005", "YL-005", True),
    DemoCollector(SUSPENDED_HOLDER, "陈四", "13900139002", "YL-002", True),
    DemoCollector("chu.qi@demo.test", "褚七", "13900139003", "YL-003", False),
)


def ensure_demo_firms() -> list[str]:
    """Create the demo firms and everything in them; returns lines for seed_demo to print."""
    if Firm.objects.filter(credit_code=LENDER[1]).exists():
        return []
    lines: list[str] = []
    programme = CertificationProgramme.objects.get(code=PROGRAMME["code"])
    auditor = User.objects.get(email="auditor@demo.test")
    today = timezone.localdate()
    with transaction.atomic():
        lender = _firm(LENDER, FirmKind.LENDER, auditor)
        good = _firm(GOOD_AGENCY, FirmKind.AGENCY, auditor)
        flagged = _firm(FLAGGED_AGENCY, FirmKind.AGENCY, auditor)
        for agency in (good, flagged):
            Contract.objects.create(
                lender=lender, agency=agency, starts_on=today - timedelta(days=400)
            )
        join(_user(MANAGER), good, role=MembershipRole.MANAGER, employee_number="QC-M01")
        join(_user(LENDER_MANAGER), lender, role=MembershipRole.MANAGER, employee_number="YG-M01")
        lines.append(f"firms {lender}, {good}, {flagged} with contracts")
    staff = {}
    for firm, people in ((good, GOOD_STAFF), (flagged, FLAGGED_STAFF)):
        for person in people:
            user = _user(person.email, person.legal_name, Role.COLLECTOR, phone=person.phone)
            join(user, firm, employee_number=person.employee_number, on=today - timedelta(days=300))
            if person.certified and not user.certificates.exists():
                earn(user, programme)
            staff[person.email] = user
    lines.append(f"{len(staff)} collectors in {good} and {flagged}")
    lines += _findings(staff, auditor, today)
    manager = User.objects.get(email=MANAGER)
    ProgrammeAssignment.objects.create(
        user=staff["feng.san@demo.test"],
        programme=programme,
        firm=flagged,
        assigned_by=manager,
        assigned_at=timezone.now() - timedelta(days=60),
        due_on=today - timedelta(days=10),
    )
    lines.append("one overdue programme assignment")
    outcome = recompute.full(reason="seed_demo")
    lines.append(f"ratings for {outcome.collectors} collectors")
    return lines


def _firm(spec: tuple[str, str], kind: str, auditor: User) -> Firm:
    firm = Firm(name=spec[0], credit_code=spec[1], kind=kind)
    firm.full_clean()
    firm.save()
    firm.change_status(FirmStatus.ADMITTED, by=auditor, reason="演示：资质审核通过。")
    return firm


def _user(email: str, legal_name: str = "", role: str | None = None, phone: str = "") -> User:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, legal_name=legal_name, phone=phone
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    elif phone and not user.phone:
        user.phone = phone
        user.save(update_fields=["phone"])
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def _findings(staff: dict[str, User], auditor: User, today) -> list[str]:
    """One finding in each status, and the confirmed ones that set the lower grades."""

    def new(email: str, days_ago: int, category: str, severity: str, text: str) -> Finding:
        return findings.record(
            Finding(
                collector=staff[email],
                occurred_on=today - timedelta(days=days_ago),
                source=FindingSource.CALL_REVIEW,
                category=category,
                severity=severity,
                description=text,
            ),
            by=auditor,
        )

    # Open: recorded, not yet decided.
    new(
        "wu.yi@demo.test",
        3,
        FindingCategory.UNREASONABLE_HOURS,
        Severity.MINOR,
        "演示：录音显示晚上21:40致电债务人，需核实是否经债务人同意。",
    )
    # Dismissed: the recording showed the debtor had asked to be called back then.
    dismissed = new(
        HOLDER, 40, FindingCategory.UNREASONABLE_HOURS, Severity.MINOR, "演示：22:05致电债务人。"
    )
    findings.dismiss(dismissed, by=auditor, note="演示：债务人此前书面要求该时段回电，不构成违规。")
    # Confirmed major and minor: grade B.
    major = new(
        "zheng.er@demo.test",
        30,
        FindingCategory.THIRD_PARTIES,
        Severity.MAJOR,
        "演示：向债务人同事透露欠款金额。",
    )
    findings.confirm(major, by=auditor, note="演示：录音证实。")
    minor = new(
        "zheng.er@demo.test",
        12,
        FindingCategory.UNREASONABLE_HOURS,
        Severity.MINOR,
        "演示：早上7:40致电债务人。",
    )
    findings.confirm(minor, by=auditor, note="演示：录音证实。")
    # Two confirmed majors and (below) an overdue assignment: grade C.
    for days, text in ((20, "演示：一日内拨打债务人电话11次。"), (50, "演示：向债务人亲属催收。")):
        finding = new(
            "feng.san@demo.test", days, FindingCategory.THIRD_PARTIES, Severity.MAJOR, text
        )
        findings.confirm(finding, by=auditor, note="演示：录音证实。")
    # Confirmed critical: grade D.
    critical = new(
        REVOKED_HOLDER,
        15,
        FindingCategory.IMPERSONATION,
        Severity.CRITICAL,
        "演示：自称律师事务所律师，声称即将起诉并上门。",
    )
    findings.confirm(critical, by=auditor, note="演示：录音及投诉材料证实。")
    # Appealed: confirmed, then appealed by the collector; awaiting the auditor's decision.
    appealed = new(
        "chen.si@demo.test",
        25,
        FindingCategory.THREATS,
        Severity.MAJOR,
        "演示：通话中使用威胁性语言。",
    )
    findings.confirm(appealed, by=auditor, note="演示：录音中有“后果自负”等表述。")
    findings.appeal(
        appealed,
        by=staff["chen.si@demo.test"],
        grounds="演示：原话为提醒逾期的法律后果，并非威胁，请复听完整录音。",
    )
    return ["8 audit findings (open, confirmed, dismissed, appealed)"]


PENDING_CRITICAL = "演示：录音显示自称公安机关工作人员，要求债务人当日还款，否则“上门带走”。"
SUSPENSION_REASON = "演示：稽核发现（严重：冒充公安机关工作人员）待处理；结论作出前暂停证书。"


def ensure_finding_suspension() -> list[str]:
    """陈四's open critical finding, recorded by the demo auditor, and their certificate
    suspended pending it (``findings.suspend_certificates``); returns what was created.

    Each is looked up first: the finding by its text, the suspension by its link to the
    finding. A finding someone has decided since, or a collector without a valid certificate,
    is left as it is.
    """
    collector = User.objects.filter(email=SUSPENDED_HOLDER).first()
    auditor = User.objects.filter(email="auditor@demo.test").first()
    if collector is None or auditor is None:
        return []
    lines = []
    finding = Finding.objects.filter(collector=collector, description=PENDING_CRITICAL).first()
    if finding is None:
        finding = findings.record(
            Finding(
                collector=collector,
                occurred_on=timezone.localdate() - timedelta(days=5),
                source=FindingSource.COMPLAINT,
                category=FindingCategory.IMPERSONATION,
                severity=Severity.CRITICAL,
                description=PENDING_CRITICAL,
            ),
            by=auditor,
        )
        lines.append(f"open critical finding against {SUSPENDED_HOLDER}")
    if findings.can_suspend(finding) and not finding.suspensions.exists():
        for link in findings.suspend_certificates(finding, by=auditor, reason=SUSPENSION_REASON):
            serial = link.suspension.certificate.serial
            lines.append(f"suspension of certificate {serial} pending that finding")
    return lines


def ensure_demo_token() -> str | None:
    """An API token for 晴川资产, created once; returns the key only when it was just made."""
    firm = Firm.objects.filter(credit_code=GOOD_AGENCY[1]).first()
    if firm is None or ApiToken.objects.filter(firm=firm, name=TOKEN_NAME).exists():
        return None
    _, key = ApiToken.issue(
        firm=firm,
        name=TOKEN_NAME,
        scopes=[ApiScope.COLLECTORS_READ, ApiScope.RATINGS_READ, ApiScope.CERTIFICATES_VERIFY],
    )
    return key
