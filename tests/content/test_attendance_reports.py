"""The trainers' attendance reports in the admin (/admin/attendance-reports/): what they show,
the CSV and XLSX exports, who may open them, and a query count that does not grow with the
number of registrations."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from content.attendance import reports
from content.models import RegistrationState
from lms.accounts.roles import Role
from tests.compliance.dashboard_factories import make_collector
from tests.conftest import activate_totp, make_user
from tests.content.attendance_builders import register
from tests.factories import FirmFactory, make_session

S = RegistrationState
INDEX = "/admin/attendance-reports/"


@pytest.fixture
def world(db):
    """A session with one registration in every state, across two firms."""
    session = make_session(hours=3)
    sunshine = FirmFactory(name="阳光资产")
    other = FirmFactory(name='=HYPERLINK("http://x")')  # a firm name that is a formula
    people = {}
    for number, state in enumerate(S.values):
        firm = sunshine if number % 2 == 0 else other
        user = make_collector(firm, f"员工{number}")
        people[state] = user
        register(session, user, firm, state, hours="1.25", reason="迟到一小时")
    return {"session": session, "sunshine": sunshine, "other": other, "people": people}


@pytest.fixture
def trainer_client(client, trainer):
    activate_totp(trainer)
    client.force_login(trainer)
    return client


def test_the_index_lists_sessions_with_counts_per_state(trainer_client, world):
    response = trainer_client.get(INDEX)
    assert response.status_code == 200
    summaries = response.context["summaries"]
    assert [s.session.pk for s in summaries] == [world["session"].pk]
    assert summaries[0].totals.counts == dict.fromkeys(S.values, 1)
    html = response.content.decode()
    assert f'data-session="{world["session"].pk}"' in html
    assert world["session"].page.title in html


def test_the_session_report_shows_each_attendee_with_hours_and_how(trainer_client, world):
    session = world["session"]
    response = trainer_client.get(f"{INDEX}sessions/{session.pk}/")
    assert response.status_code == 200
    rows = {row.state: row for row in response.context["rows"]}
    assert len(rows) == 7
    assert rows[S.ATTENDED].hours == Decimal("3.00")
    assert rows[S.PARTLY_ATTENDED].hours == Decimal("1.25")
    assert rows[S.NO_SHOW].hours == 0
    assert rows[S.ATTENDED].via == "qr"
    assert rows[S.ATTENDED].checked_in_at is not None
    assert rows[S.PARTLY_ATTENDED].via == "trainer"
    assert rows[S.PARTLY_ATTENDED].reason == "迟到一小时"
    assert rows[S.NO_SHOW].via == "closing"
    totals = response.context["totals"]
    assert (totals.booked, totals.attended, totals.partly, totals.no_show) == (1, 1, 1, 1)
    assert totals.hours == Decimal("4.25")
    html = response.content.decode()
    assert "员工0" in html and "阳光资产" in html


def test_the_session_csv_has_a_bom_every_row_and_no_formulas(trainer_client, world):
    session = world["session"]
    response = trainer_client.get(f"{INDEX}sessions/{session.pk}/attendance.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(lines) == 1 + 7
    firms = {line[4] for line in lines[1:]}
    assert '\'=HYPERLINK("http://x")' in firms  # guarded: starts with a quote
    assert not any(cell.startswith("=") for line in lines for cell in line)
    attended = next(line for line in lines[1:] if line[3] == world["people"][S.ATTENDED].legal_name)
    assert attended[7] == "3.00"


def test_the_session_xlsx_opens_with_the_rows_and_formulas_as_text(trainer_client, world):
    session = world["session"]
    response = trainer_client.get(f"{INDEX}sessions/{session.pk}/attendance.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 7
    names = {row[3] for row in rows[1:]}
    assert names == {user.legal_name for user in world["people"].values()}
    formula_cells = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formula_cells == []


def test_the_firm_report_totals_one_firms_staff_across_sessions(trainer_client, world):
    second = make_session(hours=2)
    person = world["people"][S.ATTENDED]
    register(second, person, world["sunshine"], S.ATTENDED)
    response = trainer_client.get(f"{INDEX}firms/", {"firm": world["sunshine"].pk})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {row.firm_id for row in rows} == {world["sunshine"].pk}
    assert len(rows) == 4 + 1  # states 0, 2, 4, 6 of the first session, and the second session
    totals = response.context["totals"]
    assert totals.attended == 2
    assert totals.hours == Decimal("5.00")

    csv_response = trainer_client.get(
        f"{INDEX}firms/attendance.csv", {"firm": world["sunshine"].pk}
    )
    assert len(csv_response.content.decode("utf-8").strip().splitlines()) == 1 + 5
    xlsx = trainer_client.get(f"{INDEX}firms/attendance.xlsx", {"firm": world["sunshine"].pk})
    assert len(list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows())) == 1 + 5


def test_the_firm_report_without_a_firm_asks_for_one_and_a_bad_firm_is_404(trainer_client, world):
    response = trainer_client.get(f"{INDEX}firms/")
    assert response.status_code == 200 and response.context["rows"] == []
    assert trainer_client.get(f"{INDEX}firms/", {"firm": "abc"}).status_code == 404
    # "²" passes str.isdigit() but not int(); "１" (fullwidth) is no id of ours either.
    for bad in ("²", "１", "-1", "0", "99999999999999999999999", " 1"):
        for suffix in ("", "attendance.csv", "attendance.xlsx"):
            response = trainer_client.get(f"{INDEX}firms/{suffix}", {"firm": bad})
            assert response.status_code == 404, (bad, suffix)
    assert trainer_client.get(f"{INDEX}firms/", {"firm": "999999"}).status_code == 404
    assert trainer_client.get(f"{INDEX}firms/attendance.csv").status_code == 404
    assert trainer_client.get(f"{INDEX}sessions/999999/").status_code == 404


def _urls(world) -> list[str]:
    session, firm = world["session"], world["sunshine"]
    return [
        INDEX,
        f"{INDEX}sessions/{session.pk}/",
        f"{INDEX}sessions/{session.pk}/attendance.csv",
        f"{INDEX}sessions/{session.pk}/attendance.xlsx",
        f"{INDEX}firms/?firm={firm.pk}",
        f"{INDEX}firms/attendance.csv?firm={firm.pk}",
        f"{INDEX}firms/attendance.xlsx?firm={firm.pk}",
    ]


def test_a_superuser_may_read_them(client, admin_user, world):
    activate_totp(admin_user)
    client.force_login(admin_user)
    for url in _urls(world):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR])
def test_other_admin_roles_get_403(client, world, role):
    user = make_user(f"{role.name.lower()}@example.com", "某员工", role)
    activate_totp(user)
    client.force_login(user)
    for url in _urls(world):
        assert client.get(url).status_code == 403, url


def test_a_collector_and_a_firm_manager_are_turned_away(client, world, collector, manager):
    for user in (collector, manager):
        client.force_login(user)
        for url in _urls(world):
            response = client.get(url)
            assert response.status_code in (302, 403), url
            assert not response.get("Content-Disposition")


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for url in _urls(world):
        assert client.get(url).status_code == 302, url


def test_the_reports_menu_links_to_attendance_reports_for_trainers(trainer_client, world):
    html = trainer_client.get("/admin/").content.decode()
    assert INDEX in html


def _session_with(count: int):
    session = make_session()
    firm = FirmFactory()
    for number in range(count):
        user = make_collector(firm, f"学员{number}")
        register(session, user, firm, [S.ATTENDED, S.PARTLY_ATTENDED, S.NO_SHOW][number % 3])
    return session, firm


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_registrations(trainer_client, db):
    small, small_firm = _session_with(3)
    large, large_firm = _session_with(10)
    for template in (
        "sessions/{s}/",
        "sessions/{s}/attendance.csv",
        "sessions/{s}/attendance.xlsx",
    ):
        few = _queries(trainer_client, INDEX + template.format(s=small.pk))
        many = _queries(trainer_client, INDEX + template.format(s=large.pk))
        assert few == many, template
    few = _queries(trainer_client, f"{INDEX}firms/?firm={small_firm.pk}")
    many = _queries(trainer_client, f"{INDEX}firms/?firm={large_firm.pk}")
    assert few == many


def test_the_report_functions_run_one_query_each(django_assert_num_queries, db):
    for count in (3, 10):
        session, firm = _session_with(count)
        with django_assert_num_queries(1):
            rows = reports.session_rows(session)
            assert len(rows) == count
            assert all(row.name for row in rows)
            assert reports.totals(rows).total == count
        with django_assert_num_queries(1):
            assert len(reports.firm_rows([firm.pk])) == count
        with django_assert_num_queries(1):
            summaries = reports.session_summaries(firm_ids=[firm.pk])
            assert summaries[0].totals.total == count


def test_checked_in_times_are_shown_in_beijing_time(trainer_client, world):
    registration = world["people"][S.ATTENDED].event_registrations.get()
    local = timezone.localtime(registration.checked_in_at)
    html = trainer_client.get(f"{INDEX}sessions/{world['session'].pk}/").content.decode()
    assert local.strftime("%Y-%m-%d %H:%M") in html
