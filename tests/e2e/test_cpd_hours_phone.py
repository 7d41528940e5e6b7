"""A collector checks their CPD hours on a 360 px phone (issue 15): the renewal cycle in the
issue's words and the ledger, nothing sticking out sideways. The screenshot is saved under
var/screenshots/<test name>/."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from content.models import ChangeVia, Registration, RegistrationState
from courses import cpd
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, make_user
from tests.factories import make_session

from .attendance_support import holding_a_programme_that_needs_hours
from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_hours_and_the_ledger_fit_a_phone(live_server, phone_page, screenshot, monkeypatch):
    collector = make_user("qian.collector@example.com", "钱七", Role.COLLECTOR)
    trainer = make_user("sun.trainer@example.com", "孙培训", Role.TRAINER)
    holding_a_programme_that_needs_hours(
        collector, monkeypatch, name="合规催收从业资格（续期需继续教育学时）", hours=12, offline=4
    )
    session = make_session(
        start=timezone.now() - datetime.timedelta(days=9), hours=2, title="下午场"
    )
    with transaction.atomic():
        registration = Registration(session=session, user=collector)
        registration.change_state(RegistrationState.BOOKED, via=ChangeVia.SELF, actor=collector)
        registration.change_state(RegistrationState.ATTENDED, via=ChangeVia.QR, actor=collector)
    cpd.adjust(
        collector,
        Decimal(6),
        offline=False,
        earned_on=timezone.localdate() - datetime.timedelta(days=2),
        reason="外部线上培训证明已核实，按 6 学时计入（证明编号 2026-CPD-000123-ABCDEFGHIJ）",
        actor=trainer,
    )

    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/?next=/learning/my/")
    log_in(page, collector.email, PASSWORD)
    page.goto(f"{live_server.url}/learning/my/#cpd-hours")

    expect(page.locator(".cpd-cycle__progress")).to_have_text(
        "本周期 已完成 8 / 12 学时，其中线下 2 / 4"
    )
    expect(page.locator(".cpd-ledger__entry")).to_have_count(2)
    page.locator("#cpd-hours").scroll_into_view_if_needed()
    screenshot(page, "my-learning-cpd")
    assert_fits_the_viewport(page)
