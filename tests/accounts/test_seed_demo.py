"""seed_demo: idempotent demo data, one working account per role, never by accident."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.documents.models import Document

from content.models import EventPage, Regulation, RegulationChange
from courses.models import CoursePage, LessonPage
from exams.attempts import PrerequisitesMissing, exam_status
from exams.certificates import impact
from exams.certificates.demo_law_change import UPDATE_COURSE
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    ProgrammeAssignment,
    UpdateModule,
    UpdateNotice,
)
from exams.models import ExamPage, Question
from lms.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo_account
from lms.accounts.models import Firm, FirmKind, User
from lms.accounts.roles import STAFF_ROLES
from lms.compliance.demo import FLAGGED_AGENCY, FLAGGED_STAFF, GOOD_AGENCY, GOOD_STAFF
from lms.compliance.demo_roster import MIDWAY_COLLECTOR, ROSTER_SPREAD
from lms.compliance.findings import can_suspend, pending_suspensions
from lms.compliance.models import (
    ApiToken,
    CollectorRating,
    Finding,
    FindingStatus,
    FirmRating,
    Severity,
)
from lms.compliance.models.api import hash_key


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        seed()
    assert not User.objects.exists()


def test_it_creates_the_demo_site_and_a_second_run_creates_nothing(client, db):
    first = seed("--force")
    assert "admin@demo.test: created user" in first
    assert "regulations: 37 created" in first

    def counts() -> tuple[int, ...]:
        return (
            User.objects.count(),
            Group.objects.count(),
            Regulation.objects.count(),
            CoursePage.objects.live().count(),
            LessonPage.objects.live().count(),
            EventPage.objects.live().count(),
            Document.objects.count(),
            Question.objects.count(),
            ExamPage.objects.live().count(),
        )

    before = counts()
    second = seed("--force")
    assert "seed_demo: nothing to do" in second
    assert counts() == before
    users, _, regulations, courses, lessons, events, documents, questions, exams = before
    # Three are demo accounts: collector@, collector2@ and collector3@demo.test.
    demo_collectors = len(GOOD_STAFF) + len(FLAGGED_STAFF) + len(ROSTER_SPREAD) - 3
    # One more: the contact person of the demo admission with a condition, invited as its
    # first manager (lms.admission.demo).
    assert (users, regulations, courses, events, exams) == (
        len(DEMO_ACCOUNTS) + demo_collectors + 1,
        37,
        6,  # the five required courses and the update course on the 2025 revision
        2,
        1,
    )
    assert questions >= 40
    assert lessons >= 15 and documents >= 2
    topics = set(CoursePage.objects.values_list("topic", flat=True))
    assert topics == {
        "banking-rules",
        "public-security-law",
        "criminal-law",
        "personal-information",
        "de-escalation",
    }
    assert set(EventPage.objects.values_list("kind", flat=True)) == {"salon", "summit"}
    for course in CoursePage.objects.exclude(slug=UPDATE_COURSE["slug"]):
        assert LessonPage.objects.child_of(course).live().count() >= 3
    roles = {u.email: list(u.groups.values_list("name", flat=True)) for u in User.objects.all()}
    assert roles["collector@demo.test"] == ["Collectors"]
    assert roles["manager@demo.test"] == ["Firm managers"]
    assert roles["trainer@demo.test"] == ["Trainers"]
    assert roles["reviewer@demo.test"] == ["Reviewers"]
    assert roles["auditor@demo.test"] == ["Auditors"]
    assert User.objects.get(email="admin@demo.test").is_superuser

    # Certification (issue 5): one valid certificate, one revoked, both URLs printed.
    valid = Certificate.objects.get(holder__email="collector@demo.test")
    revoked = Certificate.objects.get(holder__email="collector2@demo.test")
    assert (valid.status, revoked.status) == (CertificateStatus.VALID, CertificateStatus.REVOKED)
    assert valid.absolute_verification_url in first
    assert revoked.absolute_verification_url in first
    assert valid.pdf.name and revoked.revocation_reason

    # Firms and ratings (issue 6): a lender, an admitted agency and a flagged one; grades A-D;
    # findings in every status; an API token printed once.
    assert Firm.objects.filter(kind=FirmKind.LENDER).count() == 1
    ratings = {r.firm.name: r for r in FirmRating.objects.select_related("firm")}
    assert ratings[GOOD_AGENCY[0]].flagged is False
    assert ratings[FLAGGED_AGENCY[0]].flagged is True
    assert set(CollectorRating.objects.values_list("grade", flat=True)) == {"A", "B", "C", "D"}
    assert set(Finding.objects.values_list("status", flat=True)) == set(FindingStatus.values)
    # Issue 11, item 7: 晴川资产 itself has collectors expiring within 30 and 60 days, an overdue
    # assignment and grades B to D, so each filter of its manager's dashboard shows someone.
    good = Firm.objects.get(name=GOOD_AGENCY[0])
    in_good = CollectorRating.objects.filter(firm=good)
    assert {"B", "C", "D"} <= set(in_good.values_list("grade", flat=True))
    soon = timezone.now()
    expiring = [
        (rating.certificate_expires_at - soon).days
        for rating in in_good.exclude(certificate_expires_at=None)
    ]
    assert any(days < 30 for days in expiring) and any(30 <= days < 60 for days in expiring)
    assert ProgrammeAssignment.objects.filter(firm=good).overdue().exists()

    # The demo collectors can show the exam at once: the seeded attempts (kept as history) are
    # dated past the 24 h wait; collector3 is halfway through the courses and sees what is left.
    exam = ExamPage.objects.get()
    for email in ("collector@demo.test", "collector2@demo.test"):
        user = User.objects.get(email=email)
        status = exam_status(user, exam)
        assert len(status.attempts) == 1 and status.can_start, (email, status.blocker)
    midway = exam_status(User.objects.get(email=MIDWAY_COLLECTOR), exam)
    assert isinstance(midway.blocker, PrerequisitesMissing)
    assert [item.progress.started for item in midway.prerequisites.missing] == [True, False, False]

    # Issue 13: 张三's certificate, earned in 2025, rests on the 2012 治安管理处罚法; the 2025
    # revision superseded its 第四十二条, so an update module is attached and 张三 notified; and
    # 陈四's certificate is suspended by the auditor pending a finding.
    assert valid.issued_at.year == 2025 and valid.serial.startswith("SSA-2025-")
    statutes = {(r.short_name, r.article_no, r.is_superseded) for r in valid.basis.all()}
    assert ("治安管理处罚法", "42", True) in statutes
    assert not {s for s in statutes if s[0] == "治安管理处罚法" and not s[2]}  # no 2025 article
    assert ("刑法", "293-1", False) in statutes  # the other statutes as cited today
    change = RegulationChange.objects.get(old__short_name="治安管理处罚法", old__article_no="42")
    assert (change.kind, change.new.article_no) == ("superseded", "50")
    assert (change.old_text, change.new_text) == (change.old.text, change.new.text)
    module = UpdateModule.objects.get(change=change)
    assert module.course.live and module.course.title == "治安管理处罚法（2025修订）更新要点"
    assert module.effective_deadline is not None
    lesson = LessonPage.objects.child_of(module.course).live().get()
    cited = {
        block.value["regulation"].pk for block in lesson.body if block.block_type == "citation"
    }
    assert change.new_id in cited and change.old_id not in cited
    assert [n.certificate for n in UpdateNotice.objects.all()] == [valid]
    # The trainers' tasks are open, as after a load: the impact page has nothing left to open.
    assert change.update_tasks.exists()
    assert impact.impact_of(change).missing_tasks == 0
    others = Certificate.objects.exclude(pk=valid.pk).filter(basis=change.old)
    assert not others.exists()  # the course cites 第四十二条 only beside 第五十条
    suspended = Certificate.objects.get(holder__email="chen.si@demo.test")
    suspension = suspended.suspensions.get()
    assert suspended.status == CertificateStatus.SUSPENDED
    assert suspension.category == "finding" and suspension.ended_at is None
    assert "稽核发现" in suspension.reason and suspension.started_by.email == "auditor@demo.test"
    assert suspended.absolute_verification_url in first
    # Review item 4: it waits for a critical finding still open, linked as the admin links it,
    # so deciding that finding ends the suspension.
    pending = suspension.finding_link.finding
    assert (pending.collector, pending.severity) == (suspended.holder, Severity.CRITICAL)
    assert pending.status == FindingStatus.OPEN and can_suspend(pending)
    assert pending.recorded_by.email == "auditor@demo.test"
    assert [link.suspension for link in pending_suspensions(pending)] == [suspension]
    page = client.get(valid.verification_url).content.decode()
    assert "涵盖法规版本" in page and "已被新版本取代" in page and "第五十条" in page

    key = first.split("API token for the demo agency (shown once, store it now): ")[1].split()[0]
    assert ApiToken.objects.get(key_hash=hash_key(key)).firm.name == GOOD_AGENCY[0]
    assert "API token" not in second


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.email)
def test_every_demo_account_can_log_in(client, db, account):
    ensure_demo_account(account)
    response = client.post("/accounts/login/", {"login": account.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    if account.role in STAFF_ROLES or account.superuser:
        # Staff accounts come with TOTP set up; their second step is the code.
        assert response["Location"] == "/accounts/2fa/authenticate/"
    else:
        # Each lands where their work is: collectors on the home page, managers on /firm/.
        expected = "/firm/" if account.role == "Firm managers" else "/"
        assert response["Location"] == expected
        assert client.get("/").status_code == 200
