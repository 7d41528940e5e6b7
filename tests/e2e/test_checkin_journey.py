"""The trainer shows the check-in screen (a projector, then a 360 px phone); a collector opens
the QR code's link on a phone while signed out, signs in, lands checked in, and the screen's
count goes up by itself. Screenshots under var/screenshots/<test name>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from content.attendance import checkin, marking
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.content.checkin_support import live_session, register

from .attendance_support import scan_path_in
from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_collector_checks_in_with_the_qr_link_and_the_screen_counts_it(
    live_server,
    desktop_page: Page,
    phone_page: Page,
    screenshot: Callable[[Page, str], Path],
) -> None:
    trainer = make_user("chen.trainer@example.com", "陈老师", Role.TRAINER)
    activate_totp(trainer)
    collector = make_user("zhang.san@example.com", "张三", Role.COLLECTOR)
    session = live_session(open_checkin=False)
    registration = register(session, collector)
    marking.open_checkin(session, actor=trainer)
    base = live_server.url
    screen = base + reverse("attendance_sessions:screen", args=[session.pk])

    projector = desktop_page
    projector.goto(screen)
    projector.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(projector, trainer.email, PASSWORD, totp_user=trainer)
    projector.wait_for_url(screen)
    expect(projector.locator("#checkin-digits")).to_have_text(re.compile(r"^\d{6}$"))
    expect(projector.locator("#checkin-qr")).to_be_visible()
    expect(projector.locator("#checkin-count")).to_have_text("0")
    shot = screenshot(projector, "screen-projector")

    # What a phone camera reads off the projected QR code: the scan URL of this window.
    phone = phone_page
    scan = base + scan_path_in(shot, session.pk)
    phone.goto(scan)
    phone.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(phone, collector.email, PASSWORD)
    phone.wait_for_url(scan)
    expect(phone.get_by_role("heading", name="签到成功")).to_be_visible()
    assert_fits_the_viewport(phone)
    screenshot(phone, "checked-in")
    registration.refresh_from_db()
    assert registration.state == "attended"

    # The screen polls its JSON: the count goes up without reloading.
    expect(projector.locator("#checkin-count")).to_have_text("1", timeout=15_000)
    screenshot(projector, "screen-counted")

    # The same screen on the trainer's phone.
    projector.set_viewport_size({"width": 360, "height": 740})
    projector.reload()
    expect(projector.locator("#checkin-digits")).to_be_visible()
    assert_fits_the_viewport(projector)
    screenshot(projector, "screen-phone")

    # The session's page and the list, on that phone.
    projector.goto(base + reverse("attendance_sessions:inspect", args=[session.pk]))
    expect(projector.locator(f"[data-registration='{registration.pk}'] [data-state]")).to_have_text(
        "已出席"
    )
    assert_fits_the_viewport(projector)
    screenshot(projector, "session-phone")
    projector.goto(base + reverse("attendance_sessions:index"))
    expect(projector.get_by_text(session.page.title).first).to_be_visible()
    screenshot(projector, "list-phone")


def test_a_collector_types_the_code_on_a_phone(
    live_server, phone_page: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    collector = make_user("li.si@example.com", "李四", Role.COLLECTOR)
    session = live_session()
    register(session, collector)
    url = live_server.url + reverse("event_checkin:code", args=[session.pk])
    page = phone_page
    page.goto(url)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(page, collector.email, PASSWORD)
    page.wait_for_url(url)
    assert_fits_the_viewport(page)
    screenshot(page, "code-form")
    page.fill(
        "#id_code", "000000" if checkin.current_code(session).digits != "000000" else "111111"
    )
    page.click("form.checkin-form button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("签到码")
    screenshot(page, "wrong-code")
    page.fill("#id_code", checkin.current_code(session).digits)
    page.click("form.checkin-form button[type=submit]")
    expect(page.get_by_role("heading", name="签到成功")).to_be_visible()
    assert_fits_the_viewport(page)
    screenshot(page, "checked-in")
