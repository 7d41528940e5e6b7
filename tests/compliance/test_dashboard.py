"""The firm dashboard (/firm/): who gets in, whose staff they see and how much of them, the
filters, the charts, the collector page and the personal-data access log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from exams.certificates.models import ProgrammeAssignment
from lms.accounts.models import FirmKind, Membership
from lms.accounts.roles import Role
from lms.compliance.dashboard.roster import (
    CERTIFICATE_STATES,
    certificate_state_is,
    manager_scope,
    scoped_roster,
)
from lms.compliance.models import (
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    FirmRatingSnapshot,
    PersonalDataAccess,
    RatingSnapshot,
    Severity,
)
from tests.conftest import make_user, signed_in
from tests.exams.certificate_factories import make_programme
from tests.factories import FirmFactory

from .dashboard_factories import add_role, contract, make_collector, make_manager, rate

ROSTER = reverse("dashboard:roster")
pytestmark = pytest.mark.django_db


def collector_url(user) -> str:
    return reverse("dashboard:collector", args=[user.pk])


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def agency():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def boss(agency):
    return make_manager("boss@agency.example", "赵经理", agency)


@pytest.fixture
def staff(agency):
    return make_collector(agency, "张小三", phone="13812345678", employee_number="A-001")


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def roster_ids(response) -> list[int]:
    return [row.user.pk for row in response.context["rows"]]


# --- Who gets in -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(ROSTER)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_collector_gets_403(client, agency, staff):
    assert get(client, staff, ROSTER).status_code == 403
    assert get(client, staff, collector_url(staff)).status_code == 403


def test_the_manager_role_without_a_current_firm_gets_403(client, manager):
    assert get(client, manager, ROSTER).status_code == 403


def test_a_managers_ended_membership_no_longer_opens_the_dashboard(client, agency, boss):
    membership = Membership.objects.get(user=boss)
    membership.active_from = timezone.localdate() - timedelta(days=10)
    membership.save()
    membership.end(timezone.localdate() - timedelta(days=1))
    assert get(client, boss, ROSTER).status_code == 403


@pytest.mark.parametrize("persona", ["auditor", "trainer", "reviewer"])
def test_staff_who_are_not_managers_get_403(client, request, persona):
    user = request.getfixturevalue(persona)
    signed_in(client, user)
    assert client.get(ROSTER).status_code == 403


def test_a_manager_sees_their_own_firms_staff_with_full_names_and_masked_phones(
    client, agency, boss, staff
):
    response = get(client, boss, ROSTER)
    assert response.status_code == 200
    html = response.content.decode()
    assert "张小三" in html
    assert "138****5678" in html
    assert "13812345678" not in html
    assert roster_ids(response) == [staff.pk]
    assert "no-store" in response["Cache-Control"]


def test_managers_and_former_staff_are_not_on_the_roster(client, agency, boss, staff):
    gone = make_collector(agency, "离职者")
    Membership.objects.filter(user=gone).update(
        active_from=timezone.localdate() - timedelta(days=30),
        active_to=timezone.localdate() - timedelta(days=1),
    )
    assert roster_ids(get(client, boss, ROSTER)) == [staff.pk]


def test_a_manager_cannot_see_another_firms_staff(client, agency, boss, staff):
    other_firm = FirmFactory(name="别家催收有限公司")
    outsider = make_collector(other_firm, "王外人")

    response = get(client, boss, ROSTER)
    assert outsider.pk not in roster_ids(response)
    assert "王外人" not in response.content.decode()
    assert get(client, boss, collector_url(outsider)).status_code == 404
    assert get(client, boss, ROSTER, firm=other_firm.pk).status_code == 404
    assert get(client, boss, ROSTER, firm="nonsense").status_code == 404


@pytest.fixture
def lender():
    return FirmFactory(name="诚信消费金融", kind=FirmKind.LENDER)


@pytest.fixture
def lender_boss(lender):
    return make_manager("boss@lender.example", "钱总", lender)


def test_a_lenders_manager_sees_contracted_agency_staff_with_masked_names(
    client, lender, lender_boss, agency, staff
):
    contract(lender, agency, starts_on=timezone.localdate() - timedelta(days=5))
    own = make_collector(lender, "孙自己", phone="13900001111")

    response = get(client, lender_boss, ROSTER)
    assert response.status_code == 200
    assert set(roster_ids(response)) == {staff.pk, own.pk}
    html = response.content.decode()
    assert "张*三" in html and "张小三" not in html  # the agency's collector: masked
    assert "孙自己" in html  # the lender's own staff: in full
    assert "139****1111" in html

    # The firm switcher narrows to one firm; the collector page opens, still masked.
    only_agency = get(client, lender_boss, ROSTER, firm=agency.pk)
    assert roster_ids(only_agency) == [staff.pk]
    page = get(client, lender_boss, collector_url(staff))
    assert page.status_code == 200
    assert "张*三" in page.content.decode() and "张小三" not in page.content.decode()


def test_a_lenders_manager_loses_sight_of_an_agency_when_the_contract_ends(
    client, lender, lender_boss, agency, staff
):
    today = timezone.localdate()
    contract(lender, agency, starts_on=today - timedelta(days=60), ends_on=today - timedelta(1))

    assert staff.pk not in roster_ids(get(client, lender_boss, ROSTER))
    assert get(client, lender_boss, collector_url(staff)).status_code == 404
    assert get(client, lender_boss, ROSTER, firm=agency.pk).status_code == 404


def test_a_lenders_manager_never_sees_an_uncontracted_agency(
    client, lender, lender_boss, agency, staff
):
    other_agency = FirmFactory(name="另一家处置公司")
    contract(lender, other_agency, starts_on=timezone.localdate())

    assert staff.pk not in roster_ids(get(client, lender_boss, ROSTER))
    assert get(client, lender_boss, collector_url(staff)).status_code == 404


def test_an_agency_manager_does_not_see_the_lenders_staff(client, lender, agency, boss, staff):
    contract(lender, agency, starts_on=timezone.localdate())
    lender_staff = make_collector(lender, "钱员工")
    assert lender_staff.pk not in roster_ids(get(client, boss, ROSTER))
    assert get(client, boss, collector_url(lender_staff)).status_code == 404


# --- Filters, search, sorting, pages ------------------------------------------------------------


@pytest.fixture
def team(agency):
    """Four collectors: certificates expiring in 20, 45 and 200 days, and one expired."""
    soon = make_collector(agency, "陈二十", employee_number="T-020")
    rate(soon, grade="A", score="90", expires_in_days=20)
    later = make_collector(agency, "李四五", employee_number="T-045")
    rate(later, grade="B", score="75", expires_in_days=45)
    safe = make_collector(agency, "王两百", employee_number="T-200")
    rate(safe, grade="A", score="95", expires_in_days=200)
    lapsed = make_collector(agency, "周过期", employee_number="T-999")
    rate(lapsed, grade="C", score="60", certificate_status="expired", expires_in_days=-3)
    return {"soon": soon, "later": later, "safe": safe, "lapsed": lapsed}


def test_it_filters_certificates_expiring_within_30_or_60_days(client, boss, team):
    assert roster_ids(get(client, boss, ROSTER, expiring=30)) == [team["soon"].pk]
    assert set(roster_ids(get(client, boss, ROSTER, expiring=60))) == {
        team["soon"].pk,
        team["later"].pk,
    }


def test_a_valid_certificate_past_its_expiry_counts_as_expired(client, agency, boss, team):
    stale = make_collector(agency, "吴未更新")
    rate(stale, grade="B", score="80", certificate_status="valid", expires_in_days=-1)

    expired = set(roster_ids(get(client, boss, ROSTER, certificate="expired")))
    assert expired == {team["lapsed"].pk, stale.pk}
    assert stale.pk not in roster_ids(get(client, boss, ROSTER, certificate="valid"))


def test_the_certificate_filter_selects_the_rows_the_roster_shows_in_that_state(agency, boss):
    # The filter is written on the rating's columns (PostgreSQL can estimate those), the state
    # shown is a CASE over them: both must agree for every status and expiry.
    cases = [
        ("valid", 30),
        ("valid", -1),
        ("valid", None),
        ("suspended", 10),
        ("suspended", -2),
        ("expired", -3),
        ("revoked", 40),
        ("not_required", None),
        ("", None),
    ]
    for number, (status, days) in enumerate(cases):
        user = make_collector(agency, f"状态{number}")
        rate(user, grade="B", score="70", certificate_status=status, expires_in_days=days)
    make_collector(agency, "未评级")
    scope = manager_scope(boss)
    assert scope is not None
    roster = scoped_roster(scope)
    now = timezone.now()
    for state in CERTIFICATE_STATES:
        shown = roster.filter(certificate_state=state).values_list("pk", flat=True)
        filtered = roster.filter(certificate_state_is(state, now)).values_list("pk", flat=True)
        assert set(filtered) == set(shown), state
    assert roster.filter(certificate_state="expired").count() == 3


def test_it_filters_by_grade_and_by_not_rated(client, agency, boss, team):
    unrated = make_collector(agency, "郑新人")
    assert set(roster_ids(get(client, boss, ROSTER, grade="A"))) == {
        team["soon"].pk,
        team["safe"].pk,
    }
    assert roster_ids(get(client, boss, ROSTER, grade="none")) == [unrated.pk]
    assert roster_ids(get(client, boss, ROSTER, certificate="none")) == [unrated.pk]


def test_an_unknown_filter_value_is_ignored_with_a_message(client, boss, team):
    response = get(client, boss, ROSTER, grade="Z")
    assert response.status_code == 200
    assert len(roster_ids(response)) == 4
    assert "Some filters were not understood" in response.content.decode()


def test_it_filters_collectors_with_overdue_assignments(client, agency, boss, team):
    programme = make_programme().programme
    ProgrammeAssignment.objects.create(
        user=team["later"],
        programme=programme,
        firm=agency,
        due_on=timezone.localdate() - timedelta(days=2),
    )
    ProgrammeAssignment.objects.create(
        user=team["safe"],
        programme=programme,
        firm=agency,
        due_on=timezone.localdate() + timedelta(days=20),
    )
    response = get(client, boss, ROSTER, overdue="on")
    assert roster_ids(response) == [team["later"].pk]
    assert response.context["rows"][0].overdue_assignments == 1
    assert response.context["summary"].overdue_assignments == 1


def test_it_searches_by_name_or_employee_number(client, boss, team):
    assert roster_ids(get(client, boss, ROSTER, q="两百")) == [team["safe"].pk]
    assert roster_ids(get(client, boss, ROSTER, q="t-045")) == [team["later"].pk]
    assert roster_ids(get(client, boss, ROSTER, q="nobody")) == []


def test_a_lender_cannot_find_agency_staff_by_their_hidden_name(
    client, lender, lender_boss, agency, team
):
    contract(lender, agency, starts_on=timezone.localdate())
    assert roster_ids(get(client, lender_boss, ROSTER, q="两百")) == []
    assert roster_ids(get(client, lender_boss, ROSTER, q="T-200")) == [team["safe"].pk]


def test_it_sorts_by_grade_and_by_expiry(client, boss, team):
    by_grade = roster_ids(get(client, boss, ROSTER, sort="grade"))
    assert by_grade == [team["safe"].pk, team["soon"].pk, team["later"].pk, team["lapsed"].pk]
    worst_first = roster_ids(get(client, boss, ROSTER, sort="-grade"))
    assert worst_first[0] == team["lapsed"].pk
    by_expiry = roster_ids(get(client, boss, ROSTER, sort="expiry"))
    assert by_expiry == [team["lapsed"].pk, team["soon"].pk, team["later"].pk, team["safe"].pk]


def test_it_shows_50_collectors_a_page(client, agency, boss):
    for number in range(55):
        make_collector(agency, f"员工{number:02d}")
    first = get(client, boss, ROSTER)
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 55
    second = get(client, boss, ROSTER, page=2)
    assert len(second.context["rows"]) == 5
    assert not set(roster_ids(first)) & set(roster_ids(second))


def test_the_summary_counts_the_whole_roster(client, boss, team):
    summary = get(client, boss, ROSTER, grade="C").context["summary"]
    assert summary.active == 4
    assert summary.certified == 3
    assert summary.expiring_30 == 1
    assert summary.expiring_60 == 2
    assert summary.mean_score == Decimal("80.0")
    assert summary.grade_counts == {"A": 2, "B": 1, "C": 1, "D": 0, "none": 0}


def test_the_roster_shows_programme_progress(client, agency, boss, staff):
    from tests.exams.certificate_factories import complete_course, passing_attempt

    built = make_programme(courses=2)
    complete_course(staff, built.courses[0])
    row = get(client, boss, ROSTER).context["rows"][0]
    assert (row.courses_done, row.courses_required) == (1, 2)
    assert (row.exams_passed, row.exams_required) == (0, 1)

    complete_course(staff, built.courses[1])
    passing_attempt(staff, built.exam)
    row = get(client, boss, ROSTER).context["rows"][0]
    assert (row.courses_done, row.exams_passed) == (2, 1)
    assert row.programme_complete


def test_a_roster_page_costs_the_same_queries_for_10_or_60_collectors(client, agency, boss):
    programme = make_programme(courses=2).programme

    def grow_to(total: int) -> None:
        while Membership.objects.filter(firm=agency, role="collector").count() < total:
            user = make_collector(agency, "批量员工", phone="13700001234")
            rate(user, grade="B", score="72", expires_in_days=40)
            ProgrammeAssignment.objects.create(
                user=user,
                programme=programme,
                firm=agency,
                due_on=timezone.localdate() - timedelta(days=1),
            )

    def queries(url: str) -> int:
        client.get(url)  # warm per-process caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client.force_login(boss)
    grow_to(10)
    first = Membership.objects.filter(firm=agency, role="collector").earliest("pk").user
    urls = [
        ROSTER,
        ROSTER + "?sort=grade&expiring=60",
        reverse("dashboard:export_csv"),
        reverse("dashboard:export_xlsx"),
        collector_url(first),
    ]
    small = [queries(url) for url in urls]
    grow_to(60)
    large = [queries(url) for url in urls]
    assert small == large
    # 17: the firm's flags include the admission's (one query for an overdue condition).
    assert small[0] <= 17, small


# --- Charts ------------------------------------------------------------------------------------


def test_without_firm_snapshots_the_coverage_chart_says_so(client, boss, staff):
    response = get(client, boss, ROSTER)
    assert response.context["coverage_chart"] is None
    assert 'data-empty="coverage"' in response.content.decode()


def test_the_coverage_chart_draws_the_last_12_months_from_firm_snapshots(client, agency, boss):
    now = timezone.now()
    for months_ago, share in ((14, "0.1000"), (5, "0.5000"), (1, "0.7500"), (0, "0.9000")):
        FirmRatingSnapshot.objects.create(
            firm=agency,
            certified_share=Decimal(share),
            formula_version="test",
            created_at=now - timedelta(days=30 * months_ago + 1),
        )
    response = get(client, boss, ROSTER)
    coverage = response.context["coverage"]
    assert len(coverage.months) == 12
    shares = [month.shares[0] for month in coverage.months]
    # The snapshot from 14 months ago carries into the window's first month.
    assert shares[0] == 10.0
    assert shares[-1] == 90.0
    assert 75.0 in shares and 50.0 in shares
    html = response.content.decode()
    assert '<svg class="chart"' in html
    assert '<title id="coverage-chart-title">' in html
    assert '<path class="chart-line"' in html
    assert "90%" in html  # the data table


def test_the_grade_chart_counts_current_grades(client, boss, team):
    response = get(client, boss, ROSTER)
    bars = {bar.label: bar.value for bar in response.context["grade_chart"].bars}
    assert bars == {"A": 2, "B": 1, "C": 1, "D": 0, "Not rated": 0}
    html = response.content.decode()
    assert 'data-grade-count="A">2<' in html


# --- The collector page ------------------------------------------------------------------------


def make_history(user, agency):
    rate(
        user,
        grade="B",
        score="78.5",
        firm=agency,
        components={
            "certification": {"points": 40, "max": 50},
            "training": {"points": 15, "max": 20},
            "conduct": {"points": 23.5, "max": 30},
        },
    )
    now = timezone.now()
    for days, score, grade in ((100, "88", "A"), (10, "78.5", "B")):
        RatingSnapshot.objects.create(
            user=user,
            score=Decimal(score),
            grade=grade,
            formula_version="test",
            reason="finding_confirmed" if grade == "B" else "certificate_issued",
            created_at=now - timedelta(days=days),
        )


def test_the_collector_page_explains_the_rating_and_logs_the_view(client, agency, boss, staff):
    make_history(staff, agency)
    programme = make_programme().programme
    overdue = ProgrammeAssignment.objects.create(
        user=staff, programme=programme, firm=agency, due_on=timezone.localdate() - timedelta(3)
    )
    Finding.objects.create(
        collector=staff,
        firm=agency,
        occurred_on=timezone.localdate() - timedelta(days=12),
        source=FindingSource.CALL_REVIEW,
        category=FindingCategory.UNREASONABLE_HOURS,
        severity=Severity.MAJOR,
        description="夜间23点致电债务人",
        status=FindingStatus.CONFIRMED,
    )
    Finding.objects.create(
        collector=staff,
        firm=agency,
        occurred_on=timezone.localdate(),
        source=FindingSource.COMPLAINT,
        category=FindingCategory.THREATS,
        severity=Severity.CRITICAL,
        description="未确认的投诉",
        status=FindingStatus.OPEN,
    )

    response = get(client, boss, collector_url(staff))
    assert response.status_code == 200
    html = response.content.decode()
    assert "张小三" in html and "138****5678" in html
    components = response.context["components"].components
    assert [(c.key, c.points, c.max_points) for c in components] == [
        ("certification", 40.0, 50.0),
        ("training", 15.0, 20.0),
        ("conduct", 23.5, 30.0),
    ]
    assert len(response.context["history"].snapshots) == 2
    assert 'id="history-chart-title"' in html
    assert f'data-assignment="{overdue.pk}"' in html and "overdue: was due on" in html
    assert "Contact at unreasonable hours" in html
    assert "Threats or violence" not in html  # open findings are not shown
    assert "夜间23点" not in html  # no descriptions or evidence here

    access = PersonalDataAccess.objects.get()
    assert (access.subject, access.viewer) == (staff, boss)
    assert "legal_name" in access.fields and "phone" not in access.fields
    assert access.context == "firm dashboard: collector page"


def test_the_collector_page_uses_the_formulas_explanation(client, agency, boss, staff):
    from lms.compliance import formula

    result = formula.rate_collector(formula.CollectorInputs(today=timezone.localdate()))
    rate(staff, grade=result.grade, score=str(result.score), components=result.components)

    response = get(client, boss, collector_url(staff))
    lines = response.context["components"].lines
    assert lines == [str(line) for line in formula.explain(result.components)]
    assert lines[0] in response.content.decode()


def test_showing_the_phone_is_an_explicit_logged_action(client, agency, boss, staff):
    client.force_login(boss)
    page = client.get(collector_url(staff)).content.decode()
    assert "13812345678" not in page and 'value="show_phone"' in page

    response = client.post(collector_url(staff), {"action": "show_phone"})
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    shown = [access for access in PersonalDataAccess.objects.all() if "phone" in access.fields]
    assert len(shown) == 1
    assert shown[0].viewer == boss and shown[0].context == "firm dashboard: phone shown"


def test_a_lenders_manager_cannot_reveal_an_agency_collectors_phone(
    client, lender, lender_boss, agency, staff
):
    contract(lender, agency, starts_on=timezone.localdate())
    client.force_login(lender_boss)
    page = client.get(collector_url(staff)).content.decode()
    assert 'value="show_phone"' not in page
    assert client.post(collector_url(staff), {"action": "show_phone"}).status_code == 403
    assert "13812345678" not in page
    access = PersonalDataAccess.objects.get()
    assert "legal_name" not in access.fields


def test_the_dashboard_link_shows_for_managers_only(client, agency, boss, staff):
    link = f'href="{ROSTER}"'
    assert link in get(client, boss, reverse("certificates:mine")).content.decode()
    page = get(client, staff, reverse("certificates:mine")).content.decode()
    assert link not in page
    assert reverse("my_data") in page


def test_a_user_in_both_roles_is_treated_as_the_manager_they_are(client, agency, staff):
    add_role(staff, Role.FIRM_MANAGER)
    # A collector membership with the manager group is still not a manager membership.
    assert get(client, staff, ROSTER).status_code == 403
    helper = make_user("helper@example.com", "帮手", Role.FIRM_MANAGER)
    assert get(client, helper, ROSTER).status_code == 403
