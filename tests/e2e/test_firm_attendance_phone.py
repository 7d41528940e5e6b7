"""A firm manager reads their staff's attendance on a 360 px phone: each registration and each
session is a card led by the name (or the session) with its state beside it, nothing sticks out
sideways, and the exports are there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from content.models import RegistrationState
from lms.accounts.models import MembershipRole
from tests.compliance.dashboard_factories import make_collector
from tests.conftest import make_user
from tests.content.attendance_builders import register
from tests.factories import FirmFactory, MembershipFactory, make_session

from .conftest import assert_fits_the_viewport
from .test_phone_layout import PHONE_WIDTH, assert_rows_are_cards, shoot, sign_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]
S = RegistrationState


def test_a_manager_reads_attendance_as_cards_on_a_phone(live_server, phone_page: Page):
    agency = FirmFactory(name="深圳市前海阳光诚信资产管理服务有限公司")
    manager = make_user("attendance.manager@example.com", "王经理")
    MembershipFactory(firm=agency, role=MembershipRole.MANAGER, user=manager)
    session = make_session(hours=3)
    for number, state in enumerate((S.ATTENDED, S.PARTLY_ATTENDED, S.NO_SHOW)):
        register(session, make_collector(agency, f"欧阳小明{number}"), agency, state)

    page = phone_page
    sign_in(page, live_server.url, manager)
    page.goto(live_server.url + "/firm/attendance/")
    expect(page.locator(".attendance-table tbody tr")).to_have_count(3)
    assert_rows_are_cards(page, ".attendance-table", ".card-table__title", ".card-table__aside")
    assert_fits_the_viewport(page)
    expect(page.locator('a[href="/firm/attendance/attendance.csv"]')).to_be_visible()
    shoot(page, "firm-attendance")

    page.locator(".attendance-sessions tbody tr a").first.click()
    expect(page.locator(".attendance-table tbody tr")).to_have_count(3)
    assert_fits_the_viewport(page)
    assert page.viewport_size["width"] == PHONE_WIDTH
