"""Review findings on re-assessments: the contact person is the firm's first active manager;
the decision in effect is the newest by when it took effect (on SQLite and PostgreSQL alike);
starting the review measures readiness again; ``flag_count`` leaves admission flags out; an
overdue condition of the effective decision flags the firm (``condition_overdue``) on the
dashboard, the API and the managers' admission page, and never changes its status."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import FirmKind, FirmStatus, Membership
from lms.admission import reassessment
from lms.admission.models import (
    Application,
    ApplicationStatus,
    Conclusion,
    Condition,
    Decision,
    DecisionState,
    QuestionKind,
    ReviewKind,
)
from lms.compliance import firm_flags
from lms.compliance.models import ApiScope, FirmRating
from tests.admission.review_fixtures import make_application
from tests.compliance.api_factories import bearer, issue_token
from tests.compliance.dashboard_factories import contract, make_collector, make_manager, rate
from tests.conftest import signed_in
from tests.factories import UserFactory

from .reassess_factories import (
    decided_application,
    expiring_firm,
)

pytestmark = [pytest.mark.django_db]

TODAY = timezone.localdate
PAGE = "/firm/admission/"


def open_reassessments(capture) -> None:
    with capture(execute=True):
        call_command("open_reassessments", stdout=io.StringIO())


def the_reassessment(firm) -> Application:
    return Application.objects.get(firm=firm, review_kind=ReviewKind.REASSESSMENT)


# --- Finding 3: the contact person ------------------------------------------------------------


def test_the_contact_is_the_longest_serving_active_manager_not_the_former_contact(
    django_capture_on_commit_callbacks,
):
    firm = expiring_firm(10)
    previous = decided_application(firm)  # contact 李联系, contact@agency.example
    newer = make_manager("newer@agency.example", "钱新任", firm)
    senior = make_manager("senior@agency.example", "赵资深", firm, phone="13600000000")
    Membership.objects.filter(user=senior).update(active_from=TODAY() - timedelta(days=400))
    former = make_manager("former@agency.example", "孙前任", firm)
    Membership.objects.filter(user=former).update(
        active_from=TODAY() - timedelta(days=900), active_to=TODAY() - timedelta(days=30)
    )

    open_reassessments(django_capture_on_commit_callbacks)

    application = the_reassessment(firm)
    assert (application.contact_name, application.contact_email, application.contact_phone) == (
        "赵资深",
        "senior@agency.example",
        "13600000000",
    )
    assert previous.contact_email not in (application.contact_email, newer.email)


def test_without_an_active_manager_the_previous_contact_is_kept(
    django_capture_on_commit_callbacks,
):
    firm = expiring_firm(10)
    previous = decided_application(firm)
    gone = make_manager("gone@agency.example", "周离职", firm)
    Membership.objects.filter(user=gone).update(
        active_from=TODAY() - timedelta(days=90), active_to=TODAY() - timedelta(days=1)
    )

    open_reassessments(django_capture_on_commit_callbacks)

    application = the_reassessment(firm)
    assert (application.contact_name, application.contact_email, application.contact_phone) == (
        previous.contact_name,
        previous.contact_email,
        previous.contact_phone,
    )


# --- Finding 4: the decision in effect --------------------------------------------------------


def effective(application: Application, *, proposed_days_ago: int, confirmed_days_ago=None):
    now = timezone.now()
    proposer, confirmer = UserFactory(), UserFactory()
    return Decision.objects.create(
        application=application,
        conclusion=Conclusion.CONDITIONAL if confirmed_days_ago is None else Conclusion.ADMITTED,
        state=DecisionState.EFFECTIVE,
        reasons="复评",
        valid_until=TODAY() + timedelta(days=300),
        proposed_by=proposer,
        proposed_at=now - timedelta(days=proposed_days_ago),
        confirmed_by=confirmer if confirmed_days_ago is not None else None,
        confirmed_at=(
            now - timedelta(days=confirmed_days_ago) if confirmed_days_ago is not None else None
        ),
    )


def reassessment_of(firm, previous: Application, status: str) -> Application:
    return Application.objects.create(
        review_kind=ReviewKind.REASSESSMENT,
        status=status,
        questionnaire=previous.questionnaire,
        firm=firm,
        previous=previous,
        firm_name=firm.name,
        credit_code=firm.credit_code,
        firm_kind=firm.kind,
    )


def test_a_decision_effective_at_once_after_a_confirmed_one_is_the_one_in_effect(client):
    firm = expiring_firm(200)
    first = decided_application(firm)
    first.decisions.all().delete()
    confirmed = effective(first, proposed_days_ago=400, confirmed_days_ago=399)
    later = reassessment_of(firm, first, ApplicationStatus.CONDITIONAL)
    immediate = effective(later, proposed_days_ago=2)  # confirmed_at is NULL
    # A proposal and a declined decision, newer still, are not in effect.
    third = reassessment_of(firm, later, ApplicationStatus.AWAITING_CONFIRMATION)
    Decision.objects.create(
        application=third,
        conclusion=Conclusion.BANNED,
        state=DecisionState.PROPOSED,
        reasons="待确认",
        proposed_by=UserFactory(),
    )
    manager = make_manager("m@agency.example", "孙经理", firm)

    assert reassessment.effective_decision(firm) == immediate
    client.force_login(manager)
    html = client.get(PAGE).content.decode()
    assert 'data-decision="conditional"' in html and 'data-decision="admitted"' not in html
    assert confirmed != immediate


def test_a_confirmed_decision_after_one_effective_at_once_is_the_one_in_effect():
    firm = expiring_firm(200)
    first = decided_application(firm)
    first.decisions.all().delete()
    immediate = effective(first, proposed_days_ago=400)
    later = reassessment_of(firm, first, ApplicationStatus.ADMITTED)
    # Proposed before the immediate one took effect? No: proposed 10 days ago, confirmed 1.
    confirmed = effective(later, proposed_days_ago=10, confirmed_days_ago=1)

    assert reassessment.effective_decision(firm) == confirmed != immediate


# --- Finding 7: readiness measured again when the review starts -------------------------------


def test_starting_the_review_measures_readiness_and_metric_answers_again(
    client, admission_reviewer, django_capture_on_commit_callbacks
):
    firm = expiring_firm(12)
    decided_application(firm)
    collectors = [make_collector(firm, f"催收员{i}") for i in range(4)]
    for user in collectors:
        rate(user, grade="B", score="80", firm=firm, certificate_status="expired")
    open_reassessments(django_capture_on_commit_callbacks)
    application = the_reassessment(firm)
    assert application.readiness["certified_share"] == 0.0
    old_measured_at = application.readiness["measured_at"]
    # Weeks later the collectors have certified; the applicant submits.
    for user in collectors:
        rate(user, grade="B", score="80", firm=firm, certificate_status="valid")
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.save(update_fields=["status", "submitted_at"])
    signed_in(client, admission_reviewer)

    response = client.post(reverse("admission_applications:start_review", args=[application.pk]))

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.readiness["certified_share"] == 100.0
    assert application.readiness["measured_at"] > old_measured_at
    [answer] = application.answers.filter(
        question__kind=QuestionKind.METRIC, question__metric="certified_share"
    )
    assert answer.metric_value == Decimal("100.00")


def test_a_first_application_keeps_its_readiness_when_the_review_starts(client, admission_reviewer):
    application = make_application(readiness={})
    signed_in(client, admission_reviewer)
    client.post(reverse("admission_applications:start_review", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW and application.readiness == {}


def test_flag_count_is_about_the_training_rating_only(django_capture_on_commit_callbacks):
    firm = expiring_firm(-5)  # expired: admission_expired
    previous = decided_application(firm)
    Condition.objects.create(
        decision=previous.decisions.get(), text="整改", due_on=TODAY() - timedelta(days=1)
    )
    collectors = [make_collector(firm, f"催收员{i}") for i in range(2)]
    for user in collectors:
        rate(user, grade="B", score="80", firm=firm, certificate_status="expired")

    open_reassessments(django_capture_on_commit_callbacks)

    readiness = the_reassessment(firm).readiness
    assert readiness["flag_reasons"] == ["certified_share"] and readiness["flag_count"] == 1
    assert firm_flags.flag_reasons(firm, firm_flags.rating_of(firm)) == [
        "certified_share",
        "admission_expired",
        "condition_overdue",
    ]


# --- Finding 9: condition_overdue -------------------------------------------------------------


@pytest.fixture
def conditional_agency():
    """An agency admitted with two conditions: one met, one overdue since yesterday."""
    firm = expiring_firm(200, name="晴川资产管理有限公司")
    application = decided_application(firm)
    decision = application.decisions.get()
    Condition.objects.create(
        decision=decision,
        text="完成外访录音设备全覆盖",
        due_on=TODAY() - timedelta(days=10),
        met_on=TODAY() - timedelta(days=12),
    )
    Condition.objects.create(
        decision=decision, text="补充催收员培训记录", due_on=TODAY() - timedelta(days=1)
    )
    return firm


def test_an_overdue_condition_flags_the_firm_everywhere_and_the_status_stays(
    client, conditional_agency
):
    firm = conditional_agency
    changes = firm.status_changes.count()
    lender = expiring_firm(200, kind=FirmKind.LENDER, name="阳光消费金融")
    contract(lender, firm, starts_on=TODAY() - timedelta(days=5))
    FirmRating.objects.create(
        firm=firm,
        active_collectors=10,
        certified_share="0.9000",
        mean_score="80.00",
        grade_counts={"B": 10},
        flagged=False,
        flag_reasons=[],
        formula_version="2026.1",
    )
    boss = make_manager("boss@agency.example", "赵经理", firm)
    chief = make_manager("chief@lender.example", "孙行长", lender)
    _token, key = issue_token(firm, [ApiScope.RATINGS_READ])
    _lender_token, lender_key = issue_token(lender, [ApiScope.RATINGS_READ])

    own = client.get("/api/v1/firm", **bearer(key)).json()
    by_code = client.get(f"/api/v1/firms/{firm.credit_code}", **bearer(lender_key)).json()
    client.force_login(boss)
    dashboard = client.get("/firm/").content.decode()
    page = client.get(PAGE).content.decode()
    client.force_login(chief)
    lender_page = client.get(PAGE).content.decode()

    assert own["status"] == "admitted" and own["admission_expired"] is False
    assert own["rating"]["flagged"] is True
    assert own["rating"]["flag_reasons"] == ["condition_overdue"]
    assert by_code["flagged"] is True and by_code["flag_reasons"] == ["condition_overdue"]
    assert 'data-flag="condition_overdue"' in dashboard
    assert "past its due date" in dashboard  # the flag's label
    assert 'data-flag="condition_overdue"' in page and "补充催收员培训记录" in page
    assert f'data-agency="{firm.credit_code}"' in lender_page
    assert 'data-flag="condition_overdue"' in lender_page
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED and firm.status_changes.count() == changes


def test_met_or_not_yet_due_conditions_do_not_flag(client, conditional_agency):
    firm = conditional_agency
    Condition.objects.filter(met_on__isnull=True).update(met_on=TODAY())
    Condition.objects.create(
        decision=reassessment.effective_decision(firm), text="年底前完成", due_on=TODAY()
    )
    boss = make_manager("boss@agency.example", "赵经理", firm)
    client.force_login(boss)

    assert firm_flags.flag_reasons(firm, None) == []
    assert "data-firm-flags" not in client.get("/firm/").content.decode()


def test_an_overdue_condition_of_a_superseded_decision_does_not_flag(conditional_agency):
    firm = conditional_agency
    first = Application.objects.get(firm=firm, review_kind=ReviewKind.INITIAL)
    assert firm_flags.flag_reasons(firm, None) == ["condition_overdue"]
    later = reassessment_of(firm, first, ApplicationStatus.ADMITTED)
    effective(later, proposed_days_ago=0)

    assert firm_flags.flag_reasons(firm, None) == []
