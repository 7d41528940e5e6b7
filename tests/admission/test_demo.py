"""seed_demo's admission step: one application per state, the ban decided by 吴敬 and
confirmed by 郑洁, and 晴川资产's admission expiring within 30 days; run twice, nothing new."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lms.accounts.demo import DEMO_ACCOUNTS, ensure_demo_account
from lms.accounts.models import Firm, FirmStatus
from lms.admission import demo
from lms.admission.models import Application, ApplicationStatus, Condition, Decision
from lms.compliance.demo import GOOD_AGENCY
from lms.lib.demo import DemoReport
from tests.factories import FirmFactory


def test_the_demo_step_covers_every_state_and_is_idempotent(db):
    for account in DEMO_ACCOUNTS:
        if account.email.startswith("admission"):
            ensure_demo_account(account)
    agency = FirmFactory(name=GOOD_AGENCY[0], credit_code=GOOD_AGENCY[1])
    lines: list[str] = []
    report = DemoReport(lines.append)
    demo.seed_applications(report)
    assert report.created == 7

    statuses = set(Application.objects.values_list("status", flat=True))
    assert {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.CONDITIONAL,
        ApplicationStatus.REJECTED,
        ApplicationStatus.BANNED,
    } <= statuses
    ban = Decision.objects.get(conclusion="banned")
    assert ban.proposed_by.email == "admission@demo.test"
    assert ban.confirmed_by.email == "admission2@demo.test"
    assert ban.application.firm.status == FirmStatus.BANNED
    condition = Condition.objects.get()
    assert condition.met_on is None and condition.due_on > timezone.localdate()

    agency.refresh_from_db()
    today = timezone.localdate()
    assert agency.status == FirmStatus.ADMITTED
    assert today < agency.admission_expires_on <= today + timedelta(days=30)
    assert agency.admission_applications.get().decisions.get().valid_until == (
        agency.admission_expires_on
    )

    counts = (Application.objects.count(), Decision.objects.count(), Firm.objects.count())
    again = DemoReport(lines.append)
    demo.seed_applications(again)
    assert again.created == 0
    assert (Application.objects.count(), Decision.objects.count(), Firm.objects.count()) == counts
