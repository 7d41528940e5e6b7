"""Issue 15's journey across registration, check-in and the CPD ledger, on 360 px phones.

A salon session has one place, taken by 李四. 张三 signs in on their phone, taps register and
lands on the waitlist; 李四 cancels on their own phone and 张三 is promoted (the page says
booked, an email says so). On the salon's day the trainer, signed in with their second factor
on a phone, opens check-in from the admin's 考勤 menu and shows the check-in screen; the QR code
on it, decoded from a screenshot, is opened on 张三's phone (already signed in): checked in. 张三's
我的学习 then lists the session's hours and the renewal cycle's progress.

Every screen is asserted to fit 360 px and to break no Content-Security-Policy rule (the
``csp_violations`` fixture watches every context). Screenshots under
var/screenshots/<test name>/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from content.attendance import registration as service
from content.models import EventPage, EventSession, Registration, RegistrationState
from courses.models import CPDEntry
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.factories import make_session

from .attendance_support import holding_a_programme_that_needs_hours, scan_path_in
from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

S = RegistrationState
SESSION_HOURS = 3


def test_waitlisted_promoted_checked_in_by_qr_and_credited_on_phones(
    live_server,
    phone_page: Page,
    another_phone: Callable[[], Page],
    screenshot: Callable[[Page, str], Path],
    mailoutbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collector = make_user("zhang.san@example.com", "张三", Role.COLLECTOR)
    holder = make_user("li.si@example.com", "李四", Role.COLLECTOR)
    trainer = make_user("chen.trainer@example.com", "陈老师", Role.TRAINER)
    activate_totp(trainer)
    programme = holding_a_programme_that_needs_hours(
        collector, monkeypatch, name="合规催收从业资格（续期需继续教育学时）", hours=12, offline=4
    )
    session = make_session(capacity=1, hours=SESSION_HOURS, title="下午场")
    service.register(session, holder, actor=holder)
    base = live_server.url
    event_url = base + session.page.url
    card = f"[data-session='{session.pk}']"
    mailoutbox.clear()

    # 1. 张三 opens the salon on their phone, signs in from the session and registers: the only
    #    place is taken, so they are on the waitlist.
    phone = phone_page
    phone.goto(event_url)
    expect(phone.locator(f"{card} [data-places-left='0']")).to_be_visible()
    phone.locator(f"{card} [data-sign-in]").click()
    log_in(phone, collector.email, PASSWORD)
    phone.wait_for_url(f"**{session.page.url}")
    phone.locator(f"{card} [data-register]").click()
    state = phone.locator(f"{card} [data-registration-state]")
    expect(state).to_have_attribute("data-registration-state", S.WAITLISTED)
    expect(state).to_contain_text("候补中")
    assert_fits_the_viewport(phone)
    screenshot(phone, "waitlisted")
    assert [m.subject for m in mailoutbox if m.to == [collector.email]] == [
        f"已进入候补：{session.page.title}"
    ]

    # 2. 李四 cancels their place on their own phone: 张三 moves up and is emailed.
    other = another_phone()
    other.goto(f"{base}/accounts/login/?next={session.page.url}")
    log_in(other, holder.email, PASSWORD)
    other.wait_for_url(f"**{session.page.url}")
    expect(other.locator(f"{card} [data-registration-state]")).to_have_attribute(
        "data-registration-state", S.BOOKED
    )
    other.locator(f"{card} [data-cancel]").click()
    expect(other.locator(f"{card} [data-registration-state]")).to_have_count(0)
    expect(other.locator(f"{card} [data-places-left='0']")).to_be_visible()  # taken by 张三
    assert_fits_the_viewport(other)
    screenshot(other, "other-cancelled")

    phone.reload()
    expect(state).to_have_attribute("data-registration-state", S.BOOKED)
    expect(state).to_contain_text("已报名")
    assert_fits_the_viewport(phone)
    screenshot(phone, "promoted")
    (promotion,) = [m for m in mailoutbox if m.subject == f"候补成功：{session.page.title}"]
    assert promotion.to == [collector.email]
    assert Registration.objects.get(session=session, user=collector).state == S.BOOKED

    # The salon's day comes: the session started half an hour ago (its date is then in the
    # renewal cycle, which ends today).
    start = (timezone.now() - datetime.timedelta(minutes=30)).replace(microsecond=0)
    end = start + datetime.timedelta(hours=SESSION_HOURS)
    EventSession.objects.filter(pk=session.pk).update(start=start, end=end)
    EventPage.objects.filter(pk=session.page.pk).update(start=start, end=end)

    # 3. The trainer signs in on their phone (password and TOTP), opens 考勤 from the admin
    #    menu, the session, and opens check-in: the check-in screen shows the QR code.
    admin = another_phone()
    admin.goto(base + "/admin/")
    admin.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(admin, trainer.email, PASSWORD, totp_user=trainer)
    admin.wait_for_url(base + "/admin/")
    admin.locator("button.sidebar-nav-toggle").click()
    sessions_url = reverse("attendance_sessions:index")
    admin.locator(f".sidebar-main-menu a[href='{sessions_url}']", has_text="考勤").click()
    admin.wait_for_url(f"**{sessions_url}")
    inspect_url = reverse("attendance_sessions:inspect", args=[session.pk])
    assert_fits_the_viewport(admin)
    screenshot(admin, "trainer-sessions")
    admin.locator(f"a[href='{inspect_url}']").first.click()
    admin.wait_for_url(f"**{inspect_url}")
    assert_fits_the_viewport(admin)
    screenshot(admin, "trainer-session")
    open_url = reverse("attendance_sessions:open_checkin", args=[session.pk])
    admin.locator(f"[data-session-actions] a[href='{open_url}']", has_text="开启签到").click()
    admin.wait_for_url(f"**{open_url}")
    screenshot(admin, "trainer-open-checkin")
    admin.locator("main form button[type=submit]", has_text="开启签到").click()
    screen_url = reverse("attendance_sessions:screen", args=[session.pk])
    admin.wait_for_url(f"**{screen_url}")
    expect(admin.locator("#checkin-qr")).to_be_visible()
    expect(admin.locator("#checkin-count")).to_have_text("0")
    assert_fits_the_viewport(admin)
    scan_path = scan_path_in(screenshot(admin, "check-in-screen"), session.pk)

    # 4. 张三, still signed in on their phone, opens the QR code's link: checked in.
    phone.goto(base + scan_path)
    expect(phone.get_by_role("heading", name="签到成功")).to_be_visible()
    assert phone.url == base + scan_path  # no detour through signing in
    assert_fits_the_viewport(phone)
    screenshot(phone, "checked-in")
    registration = Registration.objects.get(session=session, user=collector)
    assert registration.state == S.ATTENDED
    expect(admin.locator("#checkin-count")).to_have_text("1", timeout=15_000)

    # 5. The event page says attended with the hours, and 我的学习 lists them in the ledger and
    #    in the renewal cycle (the session is offline, in person).
    phone.goto(event_url)
    expect(state).to_have_attribute("data-registration-state", S.ATTENDED)
    expect(state).to_contain_text(f"已出席 · 已计入 {SESSION_HOURS} 继续教育学时")
    assert_fits_the_viewport(phone)
    screenshot(phone, "event-attended")

    phone.goto(base + "/learning/my/#cpd-hours")
    expect(phone.locator(".cpd-cycle h3")).to_have_text(programme.name)
    expect(phone.locator(".cpd-cycle__progress")).to_have_text(
        f"本周期 已完成 {SESSION_HOURS} / 12 学时，其中线下 {SESSION_HOURS} / 4"
    )
    (entry,) = phone.locator(".cpd-ledger__entry").all()
    expect(entry.locator(".cpd-ledger__source")).to_contain_text(session.page.title)
    expect(entry.locator(".cpd-ledger__hours")).to_contain_text(str(SESSION_HOURS))
    phone.locator("#cpd-hours").scroll_into_view_if_needed()
    assert_fits_the_viewport(phone)
    screenshot(phone, "my-learning-hours")
    (credit,) = CPDEntry.objects.filter(user=collector)
    assert (credit.registration_id, credit.hours, credit.offline) == (
        registration.pk,
        SESSION_HOURS,
        True,
    )
