"""The firm managers' attendance pages (/firm/attendance/): their own staff in full, a
contracted agency's staff masked for a lender, nobody else's; exports; cards on a phone."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from content.models import RegistrationState
from lms.accounts.models import FirmKind
from tests.compliance.dashboard_factories import contract, make_collector, make_manager
from tests.conftest import activate_totp
from tests.content.attendance_builders import register
from tests.factories import FirmFactory, make_session

S = RegistrationState
URL = "/firm/attendance/"


@pytest.fixture
def world(db):
    session = make_session(hours=3)
    agency = FirmFactory(name="催收甲公司")
    rival = FirmFactory(name="催收乙公司")
    lender = FirmFactory(name="放贷银行", kind=FirmKind.LENDER)
    staff = make_collector(agency, "张小三")
    late = make_collector(agency, "李大四")
    stranger = make_collector(rival, "王五六")
    register(session, staff, agency, S.ATTENDED)
    register(session, late, agency, S.PARTLY_ATTENDED, hours="1")
    register(session, stranger, rival, S.NO_SHOW)
    other_session = make_session()
    register(other_session, stranger, rival, S.ATTENDED)
    return {
        "session": session,
        "other_session": other_session,
        "agency": agency,
        "rival": rival,
        "lender": lender,
        "boss": make_manager("boss@agency.example", "赵经理", agency),
        "rival_boss": make_manager("boss@rival.example", "钱经理", rival),
        "lender_boss": make_manager("boss@lender.example", "孙总", lender),
    }


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_a_manager_sees_their_staffs_attendance_with_full_names(client, world):
    response = get(client, world["boss"], URL)
    assert response.status_code == 200
    assert response["Cache-Control"].count("no-store") or "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert "张小三" in html and "李大四" in html
    assert "王五六" not in html
    summaries = response.context["summaries"]
    assert [s.session.pk for s in summaries] == [world["session"].pk]
    assert summaries[0].totals.attended == 1 and summaries[0].totals.partly == 1
    assert summaries[0].totals.no_show == 0  # the rival's no-show is not counted
    totals = response.context["totals"]
    assert totals.hours == 4
    # A card per registration on a phone: the card table with the name as the card's title.
    assert 'class="data-table card-table attendance-table"' in html
    assert 'class="card-table__title">张小三' in html


def test_the_session_page_and_exports_show_only_the_managers_staff(client, world):
    session = world["session"]
    response = get(client, world["boss"], f"{URL}sessions/{session.pk}/")
    assert response.status_code == 200
    assert [row["name"] for row in response.context["rows"]] == ["张小三", "李大四"]

    text = get(client, world["boss"], f"{URL}sessions/{session.pk}/attendance.csv").content
    text = text.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [line[3] for line in lines[1:]] == ["张小三", "李大四"]

    xlsx = get(client, world["boss"], f"{URL}attendance.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert sorted(row[3] for row in rows[1:]) == ["张小三", "李大四"]
    overall = get(client, world["boss"], f"{URL}attendance.csv").content.decode("utf-8")
    assert "王五六" not in overall


def test_another_firms_manager_gets_404_for_a_session_without_their_staff(client, world):
    other = world["other_session"]
    for suffix in ("", "attendance.csv", "attendance.xlsx"):
        response = get(client, world["boss"], f"{URL}sessions/{other.pk}/{suffix}")
        assert response.status_code == 404, suffix
    # The rival's manager sees the shared session with their own staff only.
    response = get(client, world["rival_boss"], f"{URL}sessions/{world['session'].pk}/")
    assert [row["name"] for row in response.context["rows"]] == ["王五六"]


def test_a_lenders_manager_sees_contracted_agency_staff_masked(client, world):
    response = get(client, world["lender_boss"], URL)
    assert response.status_code == 200
    assert response.context["rows"] == []  # no contract yet: nobody
    contract(world["lender"], world["agency"], starts_on=timezone.localdate() - timedelta(days=3))
    response = get(client, world["lender_boss"], URL)
    html = response.content.decode()
    assert "张*三" in html and "李*四" in html
    assert "张小三" not in html and "王五六" not in html
    text = get(client, world["lender_boss"], f"{URL}attendance.csv").content.decode("utf-8")
    assert "张*三" in text and "张小三" not in text


def test_collectors_and_trainers_get_403_and_visitors_sign_in(client, world, collector, trainer):
    activate_totp(trainer)  # staff must use a second factor (else a redirect to set it up)
    urls = [URL, f"{URL}attendance.csv", f"{URL}sessions/{world['session'].pk}/"]
    for user in (collector, trainer):
        for url in urls:
            assert get(client, user, url).status_code == 403, url
    client.logout()
    for url in urls:
        assert client.get(url).status_code == 302


def test_an_unknown_session_is_404(client, world):
    assert get(client, world["boss"], f"{URL}sessions/999999/").status_code == 404


def test_query_count_does_not_grow_with_registrations(client, world):
    client.force_login(world["boss"])
    client.get(URL)  # the first request after signing in does its one-off session work
    counts = []
    for extra in (0, 7):
        for number in range(extra):
            user = make_collector(world["agency"], f"新员工{number}")
            register(world["session"], user, world["agency"], S.ATTENDED)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_lender_gets_no_reason_for_a_contracted_agencys_staff(client, world):
    person = make_collector(world["agency"], "周小七")
    register(world["session"], person, world["agency"], S.PARTLY_ATTENDED, reason="家中急事早退")
    lenders_own = make_collector(world["lender"], "吴小八")
    register(world["session"], lenders_own, world["lender"], S.PARTLY_ATTENDED, reason="会议冲突")
    contract(world["lender"], world["agency"], starts_on=timezone.localdate() - timedelta(days=3))

    for url in (f"{URL}attendance.csv", f"{URL}sessions/{world['session'].pk}/attendance.csv"):
        text = get(client, world["lender_boss"], url).content.decode("utf-8")
        assert "周*七" in text and "家中急事早退" not in text, url
        assert "会议冲突" in text, url  # the lender's own staff keep theirs
    xlsx = get(client, world["lender_boss"], f"{URL}attendance.xlsx")
    cells = [
        cell
        for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
        for cell in row
    ]
    assert "家中急事早退" not in cells and "会议冲突" in cells
    # The agency's own manager reads their staff's reason.
    text = get(client, world["boss"], f"{URL}attendance.csv").content.decode("utf-8")
    assert "家中急事早退" in text
