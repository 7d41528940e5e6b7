"""An auditor on a 360 px phone reads the audit trail: the whole log (each event a card), a
filter, a firm's trail, and one event, whose personal part they unmask. Nothing sticks out
sideways on any page, hashes included. Screenshots under var/screenshots/<test name>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.accounts.roles import Role
from tests.auditlog.trail_factories import checkpoint, record, verification
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.factories import FirmFactory

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FIRM_NAME = "深圳市前海阳光诚信资产管理服务有限公司"


def test_an_auditor_reads_the_trail_on_a_phone(
    live_server, phone_page: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    auditor = make_user("sun.auditor@example.com", "孙稽核", Role.AUDITOR)
    collector = make_user("zhang.collector@example.com", "欧阳小明", Role.COLLECTOR)
    activate_totp(auditor)
    firm = FirmFactory(name=FIRM_NAME)
    for n in range(3):
        record(
            "certificate.issued",
            subject=("certificates.certificate", 100 + n),
            subject_label=f"SA-2026-{100 + n:06d}",
            firms=[firm],
            persons=[collector],
        )
    finding = record(
        "finding.recorded",
        actor=auditor,
        subject=("compliance.finding", 7),
        subject_label="F-2026-000007",
        firms=[firm],
        persons=[collector],
        payload={"severity": "major", "category": "contact_hours", "note_id": 7},
        personal={"phone": "13812345678"},
    )
    verification(ok=True, events=finding.seq)
    checkpoint(finding.seq)
    base = live_server.url
    page = phone_page

    page.goto(base + "/admin/audit-trail/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(page, auditor.email, PASSWORD, totp_user=auditor)
    page.wait_for_url(base + "/admin/audit-trail/")
    expect(page.get_by_role("heading", name="审计记录")).to_be_visible()
    expect(page.locator(".audit-status")).to_contain_text("链已验证")
    rows = page.locator(".audit-trail__table tbody tr")
    # The four events, and the auditor's own sign-in (staff sign-ins are recorded) on top.
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("工作人员登录")
    # A card per event on a phone, as wide as the page, the newest first.
    card = rows.first.bounding_box()
    assert card["width"] > 360 * 0.8, card
    expect(rows.nth(1)).to_contain_text("F-2026-000007")
    assert_fits_the_viewport(page)
    screenshot(page, "trail")
    rows.nth(1).scroll_into_view_if_needed()  # Wagtail's main column scrolls, not the page
    screenshot(page, "trail-cards")

    page.get_by_text("筛选审计记录").click()  # the filters fold away on every size
    page.select_option("#id_event_type", "finding.recorded")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"event_type=finding.recorded"))
    expect(rows).to_have_count(1)
    expect(page.locator("details.audit-trail__filter-box")).to_have_attribute("open", "")
    assert_fits_the_viewport(page)
    screenshot(page, "filtered")

    page.goto(base + f"/admin/audit-trail/firm/{firm.pk}/")
    expect(page.get_by_role("heading", name=re.compile(firm.credit_code))).to_be_visible()
    expect(rows).to_have_count(4)
    assert_fits_the_viewport(page)
    screenshot(page, "firm-trail")

    page.locator(f".audit-trail__title a[href='/admin/audit-trail/event/{finding.seq}/']").click()
    page.wait_for_url(re.compile(rf"/admin/audit-trail/event/{finding.seq}/$"))
    # Its hash, its link back, its personal digest, and the next event (the sign-in) chaining on.
    expect(page.locator(".audit-event__check--ok")).to_have_count(4)
    expect(page.locator("main")).to_contain_text("138****5678")
    assert_fits_the_viewport(page)
    screenshot(page, "event-masked")
    page.locator(".audit-event__checks").scroll_into_view_if_needed()
    screenshot(page, "event-hashes")

    page.get_by_role("button", name="显示个人信息").click()
    expect(page.locator("main")).to_contain_text("13812345678")
    expect(page.locator("main")).to_contain_text("欧阳小明")
    assert_fits_the_viewport(page)
    screenshot(page, "event-unmasked")
