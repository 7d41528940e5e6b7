"""Big firms (issue 17, item 4): a lender's dashboard, its roster with every filter on its first
and last page, and the API's collector list cost the same number of queries for 5 collectors or
50, and nobody sees more than before.

Small data, pages of 10 rows (``PAGE_SIZE`` patched), so the last page is page 5 at 50
collectors; tests/bench/test_big_firm.py measures the same pages at 20,000 collectors.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from exams.certificates.models import ProgrammeAssignment
from lms.accounts.models import FirmKind, Membership, MembershipRole
from lms.compliance.dashboard import views
from lms.compliance.dashboard.roster import (
    RosterFilters,
    apply_filters,
    manager_scope,
    scoped_roster,
)
from lms.compliance.models import ApiScope
from tests.exams.certificate_factories import make_programme
from tests.factories import FirmFactory, MembershipFactory

from . import api_factories
from .dashboard_factories import contract, make_collector, make_manager, rate

ROSTER = reverse("dashboard:roster")
PAGE = 10
pytestmark = pytest.mark.django_db

# Every filter of the roster's form, alone, and two together.
FILTERS = [
    {},
    {"grade": "A"},
    {"grade": "none"},
    {"certificate": "expired"},
    {"certificate": "valid"},
    {"expiring": "30"},
    {"expiring": "60"},
    {"overdue": "on"},
    {"q": "E"},
    {"q": "员工"},
    {"sort": "grade"},
    {"sort": "-grade"},
    {"sort": "expiry"},
    {"grade": "B", "sort": "expiry", "expiring": "60"},
]
GRADES = itertools.cycle(["A", "B", "C", "D", None])
EXPIRIES = itertools.cycle([20, 50, 400, -5])


@pytest.fixture(autouse=True)
def _english_and_small_pages(monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", PAGE)
    with translation.override("en"):
        yield


class World:
    """A lender with a small team of its own and two contracted agencies; an agency that is not
    contracted; collectors of every grade and certificate state, some with overdue work."""

    def __init__(self) -> None:
        self.lender = FirmFactory(name="诚信消费金融", kind=FirmKind.LENDER)
        self.agencies = [FirmFactory(name="阳光资产管理"), FirmFactory(name="明月资产管理")]
        self.stranger = FirmFactory(name="别家催收")
        today = timezone.localdate()
        for agency in self.agencies:
            contract(self.lender, agency, starts_on=today - timedelta(days=10))
        self.boss = make_manager("boss@lender.example", "钱总", self.lender)
        self.agency_boss = make_manager("boss@agency.example", "赵经理", self.agencies[0])
        self.programme = make_programme(courses=1).programme
        self.firms = itertools.cycle([self.lender, *self.agencies])
        make_collector(self.stranger, "王外人")

    def grow_to(self, total: int) -> None:
        in_scope = [self.lender, *self.agencies]
        while self.count(in_scope) < total:
            firm = next(self.firms)
            user = make_collector(firm, "批量员工", phone="13700001234")
            grade = next(GRADES)
            if grade is not None:
                rate(user, grade=grade, score="70", firm=firm, expires_in_days=next(EXPIRIES))
            if user.pk % 3 == 0:
                ProgrammeAssignment.objects.create(
                    user=user, programme=self.programme, firm=firm, due_on=today_minus(3)
                )

    @staticmethod
    def count(firms) -> int:
        return Membership.objects.filter(firm__in=firms, role=MembershipRole.COLLECTOR).count()


def today_minus(days: int):
    return timezone.localdate() - timedelta(days=days)


@pytest.fixture
def world() -> World:
    return World()


def queries(client, url: str, params: dict, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params, **headers)
        assert response.status_code == 200, (url, params, response.status_code)
    return len(captured)


def roster_pages(client, params: dict) -> list[int]:
    """Queries for the first page and the last (a page past the end shows the last one)."""
    return [queries(client, ROSTER, params), queries(client, ROSTER, {**params, "page": 999})]


def test_every_roster_filter_costs_the_same_queries_for_5_or_50_collectors(client, world):
    client.force_login(world.boss)
    world.grow_to(5)
    client.get(ROSTER)  # warm per-process caches (the site, permissions)
    small = {str(params): roster_pages(client, params) for params in FILTERS}
    world.grow_to(50)
    large = {str(params): roster_pages(client, params) for params in FILTERS}
    assert large == small
    # The first page and the last alike; an agency's manager has 17 (test_dashboard.py), a
    # lender's two more: its agencies (one query) and their firms' coverage history.
    for first, last in small.values():
        assert first == last <= 19


def test_each_firms_roster_costs_the_same_queries_for_5_or_50_collectors(client, world):
    client.force_login(world.boss)
    world.grow_to(5)
    client.get(ROSTER)  # warm per-process caches
    firms = [world.lender, *world.agencies]
    small = [roster_pages(client, {"firm": firm.pk}) for firm in firms]
    world.grow_to(50)
    assert [roster_pages(client, {"firm": firm.pk}) for firm in firms] == small


def test_the_pages_cover_the_roster_once_in_name_order(client, world):
    client.force_login(world.boss)
    world.grow_to(23)
    everyone = []
    for number in (1, 2, 3):
        response = client.get(ROSTER, {"page": number})
        rows = response.context["rows"]
        assert len(rows) == (PAGE if number < 3 else 3)
        assert response.context["page"].paginator.count == 23
        everyone.extend(rows)
    assert len({row.user.pk for row in everyone}) == 23
    keys = [(row.user.legal_name, row.user.email) for row in everyone]
    assert keys == sorted(keys)
    # Each shown row has its figures (computed for the page only).
    assert all(row.courses_required == 1 for row in everyone)
    last = client.get(ROSTER, {"page": 999}).context["rows"]
    assert [row.user.pk for row in last] == [row.user.pk for row in everyone[20:]]


def test_the_summary_and_the_pager_count_what_the_filters_match(client, world):
    client.force_login(world.boss)
    world.grow_to(30)
    overdue = client.get(ROSTER, {"overdue": "on"})
    summary = overdue.context["summary"]
    assert summary.active == 30
    assert overdue.context["page"].paginator.count == summary.collectors_overdue > 0
    assert summary.overdue_assignments == ProgrammeAssignment.objects.count()
    for row in overdue.context["rows"]:
        assert row.overdue_assignments == 1
    graded = client.get(ROSTER, {"grade": "A"})
    assert graded.context["page"].paginator.count == summary.grade_counts["A"]
    assert {row.grade for row in graded.context["rows"]} == {"A"}


@pytest.mark.parametrize("sort", ["name", "grade", "-grade", "expiry"])
def test_pages_read_from_either_end_cover_the_roster_once_in_its_order(client, world, sort):
    # Pages past the middle are picked in the reverse order (RosterPaginator): together the
    # pages are the whole filtered roster, in the order the exports use.
    client.force_login(world.boss)
    world.grow_to(27)
    everyone = []
    for number in (1, 2, 3):
        response = client.get(ROSTER, {"sort": sort, "page": number})
        everyone.extend(row.user.pk for row in response.context["rows"])
    scope = manager_scope(world.boss)
    ordered = apply_filters(scoped_roster(scope), RosterFilters(sort=sort), scope)
    assert everyone == list(ordered.values_list("user_id", flat=True))
    assert len(everyone) == 27


def test_a_collector_in_the_scope_twice_counts_their_overdue_assignments_once(client, world):
    # Moving between two of the lender's agencies: one membership ends next month, the other
    # has begun. Both rows are in the roster; their overdue assignments count once.
    client.force_login(world.boss)
    world.grow_to(3)
    mover = make_collector(world.agencies[0], "调岗员工")
    MembershipFactory(
        user=mover,
        firm=world.agencies[1],
        employee_number="E-MOVER",
        active_to=timezone.localdate() + timedelta(days=30),
    )
    other = make_programme(courses=0).programme
    for programme in (world.programme, other):
        ProgrammeAssignment.objects.create(
            user=mover, programme=programme, firm=world.agencies[0], due_on=today_minus(2)
        )
    summary = client.get(ROSTER).context["summary"]
    assert summary.active == world.count([world.lender, *world.agencies])
    overdue = ProgrammeAssignment.objects.overdue()
    assert summary.collectors_overdue == overdue.values("user_id").distinct().count()
    assert summary.overdue_assignments == overdue.count()
    rows = client.get(ROSTER, {"overdue": "on"}).context["rows"]
    assert [row.overdue_assignments for row in rows if row.user == mover] == [2, 2]


def test_the_api_list_costs_the_same_queries_on_any_page_for_5_or_50_collectors(client, world):
    agency = world.agencies[0]
    _token, key = api_factories.issue_token(agency, [ApiScope.COLLECTORS_READ])
    auth = api_factories.bearer(key)
    url = "/api/v1/collectors"

    def pages() -> list[int]:
        last = max(1, -(-world.count([agency]) // 5))
        return [
            queries(client, url, {"page_size": 5, **params}, **auth)
            for params in ({}, {"page": last}, {"grade": "A"}, {"grade": ["C", "D"], "page": 2})
        ]

    world.grow_to(5)
    client.get(url, **auth)  # records the token's first use (once a minute)
    small = pages()
    world.grow_to(50)
    assert pages() == small
    data = client.get(url, {"page_size": 5, "page": 4}, **auth).json()
    assert data["count"] == world.count([agency])
    assert all(row["masked"] for row in data["results"])


# --- Who sees what (unchanged) -----------------------------------------------------------------


def test_a_lenders_manager_gets_404_for_an_uncontracted_agency(client, world):
    world.grow_to(5)
    client.force_login(world.boss)
    for url in (ROSTER, reverse("dashboard:export_csv"), reverse("dashboard:export_xlsx")):
        assert client.get(url, {"firm": world.stranger.pk}).status_code == 404
    names = {str(row.name) for row in client.get(ROSTER).context["rows"]}
    assert "王外人" not in names and "王*人" not in names


def test_an_agency_manager_sees_neither_the_lender_nor_the_other_agency(client, world):
    world.grow_to(9)
    client.force_login(world.agency_boss)
    for firm in (world.lender, world.agencies[1]):
        assert client.get(ROSTER, {"firm": firm.pk}).status_code == 404
        assert client.get(reverse("dashboard:export_csv"), {"firm": firm.pk}).status_code == 404
    rows = client.get(ROSTER).context["rows"]
    assert {row.firm for row in rows} == {world.agencies[0]}


def test_a_collector_gets_403(client, world):
    world.grow_to(3)
    member = Membership.objects.filter(firm=world.agencies[0], role="collector").first()
    client.force_login(member.user)
    for url in (ROSTER, reverse("dashboard:export_csv"), reverse("dashboard:export_xlsx")):
        assert client.get(url).status_code == 403


def test_an_api_token_lists_its_own_firms_collectors_only(client, world):
    world.grow_to(12)
    _token, key = api_factories.issue_token(world.agencies[1], [ApiScope.COLLECTORS_READ])
    data = client.get("/api/v1/collectors", {"page_size": 200}, **api_factories.bearer(key))
    ids = {row["id"] for row in data.json()["results"]}
    expected = set(
        Membership.objects.filter(firm=world.agencies[1], role="collector").values_list(
            "user_id", flat=True
        )
    )
    assert ids == expected
