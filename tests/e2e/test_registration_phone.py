"""Registration on a 360 px phone: a collector books one session and joins another's waitlist
from the event page; their firm manager's events page fits the screen too.

Elements are found by data attributes and hrefs, not by copy. Screenshots go under
var/screenshots/<test name>/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from content.attendance import registration as service
from content.models import Registration, RegistrationState
from lms.accounts.models import MembershipRole
from tests.conftest import PASSWORD
from tests.factories import FirmFactory, MembershipFactory, UserFactory, make_session

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]


def test_a_collector_books_and_joins_a_waitlist_on_a_phone(
    live_server, phone_page: Page, screenshot: Screenshot
):
    firm = FirmFactory()
    collector = MembershipFactory(firm=firm).user
    manager = MembershipFactory(firm=firm, role=MembershipRole.MANAGER).user
    free = make_session(capacity=5, title="上午场")
    full = make_session(event=free.page, capacity=1, title="下午场 · 国际会议中心三楼多功能厅")
    someone = UserFactory()
    service.register(full, someone, actor=someone)
    page_url = live_server.url + free.page.url

    phone_page.goto(page_url)
    sign_in = phone_page.locator(f"[data-session='{free.pk}'] [data-sign-in]")
    expect(sign_in).to_be_visible()
    assert_fits_the_viewport(phone_page)
    screenshot(phone_page, "anonymous")
    sign_in.click()
    log_in(phone_page, collector.email, PASSWORD)
    phone_page.wait_for_url(f"**{free.page.url}")

    phone_page.locator(f"[data-session='{free.pk}'] [data-register]").click()
    expect(
        phone_page.locator(f"[data-session='{free.pk}'] [data-registration-state='booked']")
    ).to_be_visible()
    phone_page.locator(f"[data-session='{full.pk}'] [data-register]").click()
    expect(
        phone_page.locator(f"[data-session='{full.pk}'] [data-registration-state='waitlisted']")
    ).to_be_visible()
    assert_fits_the_viewport(phone_page)
    screenshot(phone_page, "booked-and-waitlisted")
    assert (
        Registration.objects.get(user=collector, session=full).state == RegistrationState.WAITLISTED
    )

    # The person holding the afternoon's only place cancels: the collector moves up.
    service.cancel(Registration.objects.get(user=someone), actor=someone)
    phone_page.reload()
    expect(
        phone_page.locator(f"[data-session='{full.pk}'] [data-registration-state='booked']")
    ).to_be_visible()
    screenshot(phone_page, "promoted")

    phone_page.context.clear_cookies()
    phone_page.goto(live_server.url + "/accounts/login/")
    log_in(phone_page, manager.email, PASSWORD)
    phone_page.goto(live_server.url + "/firm/events/")
    expect(phone_page.locator(f"[data-session='{free.pk}']")).to_be_visible()
    assert_fits_the_viewport(phone_page)
    screenshot(phone_page, "manager-index")
    phone_page.goto(live_server.url + f"/firm/events/sessions/{free.pk}/")
    expect(
        phone_page.locator(f"[data-registration] >> text={collector.legal_name}")
    ).to_be_visible()
    assert_fits_the_viewport(phone_page)
    screenshot(phone_page, "manager-session")
