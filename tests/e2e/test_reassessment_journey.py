"""Issue 14, re-assessment, on a 360 px phone: an agency whose admission has expired is
flagged on its dashboard (its status unchanged), the re-assessment has been opened by the daily
command, and its manager follows the dashboard's link to the admission page, reads the
standing and asks for a fresh link by email. A lender's manager sees that agency's standing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from lms.accounts.landing import landing_url
from lms.accounts.models import FirmKind, FirmStatus, MembershipRole, User
from lms.admission import links
from tests.admission.reassess_factories import (
    decided_application,
    expiring_firm,
)
from tests.compliance.dashboard_factories import contract
from tests.conftest import PASSWORD, make_user
from tests.factories import MembershipFactory

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AGENCY_NAME = "深圳市前海阳光诚信资产管理服务有限公司"


def sign_in(page: Page, base: str, user: User) -> None:
    page.goto(base + "/accounts/login/")
    log_in(page, user.email, PASSWORD)
    page.wait_for_url(base + landing_url(user))


def manager_of(firm, email: str, name: str) -> User:
    user = make_user(email, name)
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=user)
    return user


def test_a_manager_reads_the_expired_admission_and_asks_for_a_fresh_link(
    live_server, phone_page: Page, screenshot
) -> None:
    agency = expiring_firm(-1, name=AGENCY_NAME)
    decided_application(agency)
    manager = manager_of(agency, "wang.manager@example.com", "王经理")
    call_command("open_reassessments", stdout=io.StringIO())
    [notice] = mail.outbox
    assert notice.to == [manager.email]
    page, base = phone_page, live_server.url

    sign_in(page, base, manager)
    page.goto(base + "/firm/")
    expect(page.locator("[data-flag=admission_expired]")).to_be_visible()
    assert_fits_the_viewport(page)
    screenshot(page, "dashboard-flag")

    page.get_by_role("link", name="准入与复评").click()
    page.wait_for_url(base + "/firm/admission/")
    expect(page.locator("h1")).to_have_text("准入与复评")
    expect(page.locator("[data-firm-status=admitted]")).to_be_visible()
    expect(page.locator("[data-valid-until]")).to_contain_text("已到期")
    expect(page.locator("[data-reassessment=draft]")).to_be_visible()
    assert_fits_the_viewport(page)
    screenshot(page, "admission-page")

    page.get_by_role("button", name="通过邮件发送新链接给我").click()
    expect(page.locator(".messages")).to_contain_text(manager.email)
    assert_fits_the_viewport(page)
    screenshot(page, "fresh-link-sent")
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [manager.email]
    fresh = [line for line in mail.outbox[1].body.splitlines() if line.startswith("http")][0]
    assert links.application_for_token(fresh.rstrip("/").rsplit("/", 1)[-1]) is not None
    agency.refresh_from_db()
    assert agency.status == FirmStatus.ADMITTED  # flagged, never changed


def test_a_lender_sees_its_agencys_standing_on_a_phone(live_server, phone_page: Page) -> None:
    agency = expiring_firm(-5, name=AGENCY_NAME)
    lender = expiring_firm(200, kind=FirmKind.LENDER, name="阳光消费金融股份有限公司")
    contract(lender, agency, starts_on=timezone.localdate() - timedelta(days=30))
    manager = manager_of(lender, "li.lender@example.com", "李经理")
    page, base = phone_page, live_server.url

    sign_in(page, base, manager)
    page.goto(base + "/firm/admission/")

    row = page.locator(f"[data-agency='{agency.credit_code}']")
    expect(row).to_contain_text(AGENCY_NAME)
    expect(row).to_contain_text("准入已到期")
    assert_fits_the_viewport(page)
