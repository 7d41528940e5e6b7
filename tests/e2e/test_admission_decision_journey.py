"""Admission decisions in a 360 px phone: a reviewer proposes a ban, a second reviewer confirms
it and finds it on the ban list, then admits another agency with a condition; its contact person
accepts the invitation and lands on the firm dashboard (/firm/).

Elements are found by name, value and href, not by copy. Screenshots go under
var/screenshots/<test name>/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from lms.accounts.models import BanCategory, Firm, FirmStatus, Invitation, MembershipRole
from lms.accounts.roles import Role
from lms.admission.models import ApplicationStatus, Decision
from tests.admission.decision_helpers import make_application
from tests.conftest import PASSWORD, activate_totp, make_user

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]
DECISION_FORM = "form:has(textarea[name=reasons])"


def reviewer(email: str, name: str):
    user = make_user(email, name, Role.ADMISSION_REVIEWER)
    activate_totp(user)
    return user


def sign_in_at(page: Page, url: str, user) -> None:
    """Open ``url`` signed out, sign in with password and code, and arrive there."""
    page.context.clear_cookies()
    page.goto(url)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(page, user.email, PASSWORD, totp_user=user)
    page.wait_for_url(url)


def test_a_ban_takes_two_reviewers_and_an_admission_invites_the_first_manager(
    live_server, phone_page: Page, screenshot: Screenshot, mailoutbox
) -> None:
    page, base = phone_page, live_server.url
    first = reviewer("wu.jing@example.com", "吴敬")
    second = reviewer("zheng.jie@example.com", "郑洁")
    violent = make_application(1, blocker=True)
    good = make_application(2, contact_email="new.manager@example.com")

    # 1. The first reviewer proposes a ban.
    decide = base + reverse("admission_decisions:decide", args=[violent.pk])
    sign_in_at(page, decide, first)
    screenshot(page, "decide-page")
    assert_fits_the_viewport(page)
    page.check(f"{DECISION_FORM} input[name=conclusion][value=banned]")
    page.fill(f"{DECISION_FORM} textarea[name=reasons]", "经核实存在暴力催收记录。")
    page.select_option(f"{DECISION_FORM} select[name=ban_category]", BanCategory.VIOLENT_COLLECTION)
    page.click(f"{DECISION_FORM} button[type=submit]")
    page.wait_for_url(decide)
    decision = Decision.objects.get(application=violent)
    confirm = base + reverse("admission_decisions:confirm", args=[decision.pk])
    expect(page.locator(f"a[href='{confirm[len(base) :]}']")).to_have_count(0)
    screenshot(page, "ban-proposed")
    assert_fits_the_viewport(page)
    violent.refresh_from_db()
    assert violent.status == ApplicationStatus.AWAITING_CONFIRMATION

    # 2. The second reviewer confirms it; the firm is banned and on the ban list.
    sign_in_at(page, confirm, second)
    screenshot(page, "confirm-page")
    assert_fits_the_viewport(page)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(decide)
    firm = Firm.objects.get(credit_code=violent.credit_code)
    assert firm.status == FirmStatus.BANNED
    page.goto(base + reverse("admission_ban_list:index"))
    expect(page.locator("main")).to_contain_text(firm.credit_code)
    screenshot(page, "ban-list")
    assert_fits_the_viewport(page)

    # 3. The second reviewer admits another agency with a condition.
    decide_good = base + reverse("admission_decisions:decide", args=[good.pk])
    page.goto(decide_good)
    page.check(f"{DECISION_FORM} input[name=conclusion][value=conditional]")
    page.fill(f"{DECISION_FORM} textarea[name=reasons]", "资质齐全。")
    due = timezone.localdate() + timedelta(days=30)
    page.fill(f"{DECISION_FORM} input[name='conditions-0-text']", "补交外访录音设备清单")
    page.fill(f"{DECISION_FORM} input[name='conditions-0-due_on']", due.isoformat())
    screenshot(page, "admit-with-condition")
    page.click(f"{DECISION_FORM} button[type=submit]")
    page.wait_for_url(decide_good)
    expect(page.locator("main")).to_contain_text("补交外访录音设备清单")
    assert_fits_the_viewport(page)
    admitted = Firm.objects.get(credit_code=good.credit_code)
    assert admitted.status == FirmStatus.ADMITTED

    # 4. The contact person follows the invitation and lands on the firm dashboard.
    invitation = Invitation.objects.get(firm=admitted)
    assert any(invitation.token in message.body for message in mailoutbox)
    page.context.clear_cookies()
    page.goto(base + reverse("staff:invitation", args=[invitation.token]))
    page.fill("#id_password1", "Sunny-Days-2026!")
    page.fill("#id_password2", "Sunny-Days-2026!")
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/firm/")
    screenshot(page, "first-manager-on-firm-dashboard")
    assert_fits_the_viewport(page)
    membership = admitted.active_members().get()
    assert (membership.user.email, membership.role) == (
        "new.manager@example.com",
        MembershipRole.MANAGER,
    )
