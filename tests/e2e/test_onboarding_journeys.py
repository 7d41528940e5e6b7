"""Issue 11, items 4 and 5, on a 360 px phone: where each role lands after signing in, the
reviewer's one-step approval, and an invitee joining a firm in one step.

Screenshots go to var/screenshots/<test name>/ with stable step names, so a run before a change
and a run after it can be compared side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from wagtail.models import TaskState

from courses.models import LessonPage
from lms.accounts.models import Membership, MembershipRole
from lms.accounts.onboarding import invitations
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.courses.pages import make_course
from tests.exams.certificate_factories import make_programme
from tests.factories import FirmFactory, MembershipFactory

from .conftest import assert_fits_the_viewport, log_in, log_out

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

LESSON_TITLE = "新课时：上门催收的边界"
INVITE_LINK = re.compile(r"https?://\S+/firm/staff/invitations/[\w-]+/")
NEW_PASSWORD = "Sunny-Collector-2026"


def staff(email: str, legal_name: str, role: Role):
    user = make_user(email, legal_name, role)
    activate_totp(user)
    return user


def sign_in(page: Page, base: str, user, totp: bool = True) -> None:
    page.goto(base + "/accounts/login/")
    log_in(page, user.email, PASSWORD, totp_user=user if totp else None)


def submitted_lesson(trainer) -> LessonPage:
    """A lesson the trainer wrote and submitted to the review workflow, as from the editor."""
    course = make_course(slug="visits", title="上门催收规范", lessons=1)
    lesson = course.add_child(
        instance=LessonPage(
            title=LESSON_TITLE, slug="new-lesson", intro="上门前必须知道的事。", live=False
        )
    )
    lesson.save_revision(user=trainer)
    lesson.get_workflow().start(lesson, trainer)
    return lesson


def test_each_role_lands_where_its_work_is_and_a_reviewer_approves_in_one_step(
    live_server, phone_page: Page, screenshot: Screenshot
) -> None:
    base, page = live_server.url, phone_page
    trainer = staff("chen.trainer@example.com", "陈老师", Role.TRAINER)
    reviewer = staff("liu.reviewer@example.com", "刘审核", Role.REVIEWER)
    auditor = staff("sun.auditor@example.com", "孙稽核", Role.AUDITOR)
    manager = make_user("li.manager@example.com", "李经理", Role.FIRM_MANAGER)
    MembershipFactory(firm=FirmFactory(name="晴川资产"), role=MembershipRole.MANAGER, user=manager)
    lesson = submitted_lesson(trainer)

    # 1. The trainer signs in and lands on the admin dashboard, not the learners' home page.
    sign_in(page, base, trainer)
    page.wait_for_url(base + "/admin/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot(page, "trainer-lands-on-admin")
    # On the site, the header links back to the admin.
    page.goto(base + "/")
    admin_link = page.locator(".site-header a.nav-admin")
    expect(admin_link).to_have_text("管理后台")
    screenshot(page, "trainer-site-header-admin-link")
    assert_fits_the_viewport(page)
    admin_link.click()
    page.wait_for_url(base + "/admin/")
    page.context.clear_cookies()

    # 2. The reviewer lands on the dashboard; the pending lesson has a visible Approve button.
    sign_in(page, base, reviewer)
    page.wait_for_url(base + "/admin/")
    row = page.locator("#awaiting-review-content tr", has_text=LESSON_TITLE)
    approve = row.locator("td.quick-approve button[type=submit]")
    expect(approve).to_be_visible()
    expect(approve).to_contain_text("批准")
    approve.scroll_into_view_if_needed()
    screenshot(page, "reviewer-dashboard-pending")
    approve.click()  # one step: no menu, no modal
    page.wait_for_url(base + "/admin/")
    expect(page.locator("#awaiting-review-content tr", has_text=LESSON_TITLE)).to_have_count(0)
    screenshot(page, "reviewer-dashboard-approved")
    lesson.refresh_from_db()
    assert lesson.live
    task_state = TaskState.objects.get(workflow_state__object_id=str(lesson.pk))
    assert (task_state.status, task_state.finished_by) == (TaskState.STATUS_APPROVED, reviewer)
    page.context.clear_cookies()

    # 3. The auditor lands on the findings listing.
    sign_in(page, base, auditor)
    page.wait_for_url(base + "/admin/findings/")
    expect(page.locator("h1").first).to_contain_text("稽核发现")
    screenshot(page, "auditor-lands-on-findings")
    page.context.clear_cookies()

    # 4. The firm manager lands on the firm dashboard, with no admin link.
    sign_in(page, base, manager, totp=False)
    page.wait_for_url(base + "/firm/")
    expect(page.locator(".site-header a.nav-admin")).to_have_count(0)
    screenshot(page, "manager-lands-on-firm-dashboard")
    assert_fits_the_viewport(page)
    log_out(page)


def test_an_invitee_sets_a_password_and_lands_on_the_first_course_of_their_programme(
    live_server, phone_page: Page, screenshot: Screenshot, mailoutbox
) -> None:
    base, page = live_server.url, phone_page
    programme = make_programme(courses=2)
    first_course = programme.courses[0]
    firm = FirmFactory(name="晴川资产")
    invitations.invite(firm, email="zhao.liu@example.com", by=None, legal_name="赵六")

    # 1. The email: a readable greeting and one link, on this server.
    message = mailoutbox[-1]
    assert "晴川资产" in message.subject
    link = INVITE_LINK.search(message.body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]

    # 2. The link opens one page: the firm, the consent note, and a password to choose.
    page.goto(base + path)
    expect(page.locator("h1")).to_contain_text("晴川资产")
    expect(page.locator("#id_password1")).to_be_visible()
    expect(page.locator("#id_legal_name")).to_have_count(0)  # the firm gave the name
    screenshot(page, "invitation-set-password")
    assert_fits_the_viewport(page)

    # 3. A password that does not match: the page says so, nothing happens.
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD + "x")
    page.click("form button[type=submit]:has-text('设置密码并加入')")
    expect(page.locator(".errorlist")).to_contain_text("两次输入的密码必须相同")
    screenshot(page, "invitation-password-mismatch")
    assert not Membership.objects.filter(firm=firm).exists()

    # 4. Set it: signed in, a member, and on the programme's first course.
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("form button[type=submit]:has-text('设置密码并加入')")
    page.wait_for_url(base + first_course.url)
    expect(page.locator(".messages")).to_contain_text("欢迎加入晴川资产")
    expect(page.locator("h1").first).to_contain_text(first_course.title)
    expect(page.locator(".site-header .nav-user")).to_contain_text("赵六")
    screenshot(page, "invitee-lands-on-first-course")
    assert_fits_the_viewport(page)
    membership = Membership.objects.get(firm=firm)
    assert (membership.user.email, membership.role) == (
        "zhao.liu@example.com",
        MembershipRole.COLLECTOR,
    )

    # 5. The link is used up.
    page.goto(base + path)
    expect(page.locator("#id_password1")).to_have_count(0)
    screenshot(page, "invitation-used-up")
