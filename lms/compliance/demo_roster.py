"""The demo agency 晴川资产's roster spread, so the manager dashboard's filters show something.

The first demo firms (``lms.compliance.demo``) gave 晴川资产 three collectors, all certified for
two years, all grade A: no filter of the manager's dashboard (expiring within 30/60 days,
overdue, grades B–D) had anything to show. This adds, to the firm itself:

* collector3@demo.test (蒋九), a demo account halfway through the five required courses, with
  an overdue programme assignment: grade D, and the exam page lists what is left before they
  can sit the exam;
* 沈十, certified almost two years ago, so the certificate expires within 30 days;
* 韩梅 (grade B) and 杨帆 (grade C), who passed with 80 % and whose certificates expire within
  60 days, with major findings confirmed at their previous employer more than a year ago
  (they still weigh on the conduct score, fading over two years);
* three more certified collectors, so that 晴川资产 stays in good standing: its rating is not
  flagged (no more than 10 % graded D, no confirmed finding in the last 365 days, 90 %
  certified) — the flagged agency of the demo is 云岭咨询.

Everything is reached the way real data is (courses studied through ``courses.progress``,
certificates earned by passing the exam, findings recorded and confirmed by the demo auditor),
then ratings are recomputed. Idempotent per collector: one who is already a member of the firm
is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from courses import progress
from courses.models import CoursePage, LessonPage
from exams.certificates.demo import PROGRAMME, REQUIRED_COURSES, earn
from exams.certificates.models import CertificationProgramme, ProgrammeAssignment
from lms.accounts.models import Firm, Membership, User
from lms.accounts.onboarding.memberships import join
from lms.accounts.roles import Role
from lms.lib.demo import DemoReport

from . import findings, recompute
from .demo import (
    GOOD_AGENCY,
    MANAGER,
    DemoCollector,
    _user,
    ensure_demo_firms,
    ensure_demo_token,
    ensure_finding_suspension,
)
from .models import Finding, FindingCategory, FindingSource, Severity

MIDWAY_COLLECTOR = "collector3@demo.test"


@dataclass(frozen=True)
class Spread(DemoCollector):
    expires_in_days: int | None = None  # when certified: expiring in this many days
    blank: int = 0  # questions left unanswered when they passed (6 of 30: 80 %)
    old_major_findings: int = 0  # confirmed, 370+ days ago
    midway: bool = False  # halfway through the courses, with an overdue assignment


ROSTER_SPREAD = (
    Spread(MIDWAY_COLLECTOR, "蒋九", "13800138006", "QC-006", False, midway=True),
    Spread("shen.shi@demo.test", "沈十", "13800138007", "QC-007", True, expires_in_days=20),
    Spread("han.mei@demo.test", "韩梅", "13800138008", "QC-008", True, 45, 6, 1),
    Spread("yang.fan@demo.test", "杨帆", "13800138009", "QC-009", True, 40, 6, 3),
    Spread("zhu.yiming@demo.test", "朱一鸣", "13800138010", "QC-010", True),
    Spread("qin.lan@demo.test", "秦岚", "13800138011", "QC-011", True),
    Spread("xu.nuo@demo.test", "许诺", "13800138012", "QC-012", True),
)
FINDING_TEXTS = (
    "演示：向债务人邻居透露欠款情况。",
    "演示：一日内拨打债务人电话9次。",
    "演示：催收短信中使用“后果自负”等措辞。",
)


def ensure_demo_roster_spread() -> list[str]:
    """Add the spread to 晴川资产 (after ``ensure_demo_firms``); returns what was created."""
    firm = Firm.objects.filter(credit_code=GOOD_AGENCY[1]).first()
    if firm is None:
        return []
    members = set(
        Membership.objects.filter(
            firm=firm, user__email__in=[p.email for p in ROSTER_SPREAD]
        ).values_list("user__email", flat=True)
    )
    missing = [person for person in ROSTER_SPREAD if person.email not in members]
    if not missing:
        return []
    programme = CertificationProgramme.objects.get(code=PROGRAMME["code"])
    auditor = User.objects.get(email="auditor@demo.test")
    manager = User.objects.get(email=MANAGER)
    today = timezone.localdate()
    for person in missing:
        with transaction.atomic():
            user = _user(person.email, person.legal_name, Role.COLLECTOR, phone=person.phone)
            join(user, firm, employee_number=person.employee_number, on=today - timedelta(days=90))
            if person.midway:
                _study_halfway(user)
                ProgrammeAssignment.objects.create(
                    user=user,
                    programme=programme,
                    firm=firm,
                    assigned_by=manager,
                    assigned_at=timezone.now() - timedelta(days=45),
                    due_on=today - timedelta(days=7),
                )
            if person.expires_in_days is not None:
                expires = timezone.now() + timedelta(days=person.expires_in_days)
                validity = relativedelta(months=programme.validity_months)
                earn(user, programme, when=expires - validity, blank=person.blank)
            elif person.certified:
                earn(user, programme)
            for number in range(person.old_major_findings):
                finding = findings.record(
                    Finding(
                        collector=user,
                        occurred_on=today - timedelta(days=370 + 15 * number),
                        source=FindingSource.CALL_REVIEW,
                        category=FindingCategory.THIRD_PARTIES,
                        severity=Severity.MAJOR,
                        description=FINDING_TEXTS[number],
                    ),
                    by=auditor,
                )
                findings.confirm(finding, by=auditor, note="演示：录音证实。")
    recompute.full(reason="seed_demo")
    names = "、".join(person.legal_name for person in missing)
    return [f"{len(missing)} more collectors in {firm} ({names})"]


def _study_halfway(user: User) -> None:
    """Two of the required courses completed and the third half done, as the lesson pages
    record it; the last two not started."""
    courses = {c.slug: c for c in CoursePage.objects.filter(slug__in=REQUIRED_COURSES)}
    for index, slug in enumerate(REQUIRED_COURSES[:3]):
        course = courses[slug]
        progress.enrol(user, course)
        lessons = list(LessonPage.objects.child_of(course).live().order_by("path"))
        if index == 2:
            lessons = lessons[: len(lessons) // 2]
        for lesson in lessons:
            progress.mark_complete(user, lesson, course)


def seed_firms(report: DemoReport) -> None:
    """seed_demo step (registered in ComplianceConfig.ready): the demo firms and their findings
    (demo.py), the roster spread (this module, which builds on demo.py), 陈四's certificate
    suspended pending a critical finding (demo.py), and an API token."""
    report.created_lines(
        [*ensure_demo_firms(), *ensure_demo_roster_spread(), *ensure_finding_suspension()]
    )
    key = ensure_demo_token()
    if key:
        report.line("API token for the demo agency (shown once, store it now): " + key, created=1)
