"""A new lesson goes from a trainer's draft to a collector's phone, through a reviewer.

The trainer writes the lesson in Wagtail's admin and can only submit it for moderation; the
reviewer approves it from the dashboard with a comment; only then do collectors see it. The admin
parts run in a desktop window, the collector's checks on a phone, each in its own browser
context (their own cookies), as three people on three devices would.

Each step saves a screenshot under var/screenshots/<test name>/ for a human to look over.
``serialized_rollback`` restores what the data migrations created (the course index, the role
groups, the review workflow), which the transactional test's flush would otherwise wipe.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from wagtail.models import TaskState, WorkflowState

from courses.models import CourseIndexPage, CoursePage, LessonPage
from lms.accounts.models import User
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.courses.pages import make_course

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

COURSE_TITLE = "上门催收规范"
NEW_LESSON_TITLE = "新课时：上门催收的边界"
NEW_LESSON_INTRO = "上门前必须知道的事。"
NEW_LESSON_TEXT = "被要求离开时，立即离开。"
REVIEW_COMMENT = "内容准确，同意发布。"

ADMIN_LOGOUT_BUTTON = ".sidebar-footer form[action='/admin/logout/'] button[type=submit]"
OUTLINE_ITEMS = ".course-outline .lesson-list__item"


@pytest.fixture
def course() -> CoursePage:
    return make_course(slug="visits", title=COURSE_TITLE, lessons=1)


def staff(email: str, legal_name: str, role: Role) -> User:
    user = make_user(email, legal_name, role)
    activate_totp(user)
    return user


def log_in_to_admin(page: Page, base_url: str, user: User) -> None:
    """Open the admin, get sent to the site's login (password, then TOTP) and come back."""
    page.goto(base_url + "/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(page, user.email, PASSWORD, totp_user=user)
    page.wait_for_url(base_url + "/admin/")


def test_trainer_submits_a_lesson_reviewer_approves_it_and_collectors_then_see_it(
    live_server,
    settings,
    desktop_page: Page,
    phone_page: Page,
    screenshot: Screenshot,
    course: CoursePage,
) -> None:
    # Wagtail 8's create form autosaves (a background POST to the same create URL, which creates
    # the page) and only afterwards moves the form to the page's edit URL. Whether that autosave
    # fires before the trainer clicks submit depends on timing; when it is still in flight, the
    # submit goes to the create view again and Wagtail answers 500 ("slug already in use").
    # This journey is about the review workflow, so it runs without autosave.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    base = live_server.url
    trainer = staff("chen.trainer@example.com", "陈老师", Role.TRAINER)
    reviewer = staff("liu.reviewer@example.com", "刘审核", Role.REVIEWER)
    collector = make_user("zhang.collector@example.com", "张三", Role.COLLECTOR)
    admin, phone = desktop_page, phone_page

    # 1. The trainer signs in to the admin with password and TOTP code.
    log_in_to_admin(admin, base, trainer)
    expect(admin.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot(admin, "trainer-dashboard")

    # 2. Pages explorer → 课程 → the course.
    admin.locator(".sidebar-main-menu button", has_text="页面").click()
    explorer = admin.locator(".c-page-explorer")
    explorer.locator(".c-page-explorer__item__link", has_text="课程").click()
    admin.wait_for_url(f"**/admin/pages/{CourseIndexPage.objects.get().pk}/")
    screenshot(admin, "trainer-course-index")
    admin.locator(f"table.listing a[href='/admin/pages/{course.pk}/']").click()
    admin.wait_for_url(f"**/admin/pages/{course.pk}/")
    expect(admin.locator("#header-title, h1").first).to_contain_text(COURSE_TITLE)
    screenshot(admin, "trainer-course-pages")

    # 3. Add a child page: a course only takes lessons, so the lesson form opens directly.
    admin.click(f"a[href='/admin/pages/{course.pk}/add_subpage/']")
    admin.wait_for_url(f"**/admin/pages/add/courses/lessonpage/{course.pk}/")
    expect(admin.locator("header")).to_contain_text("课时页")
    admin.fill("#id_title", NEW_LESSON_TITLE)
    admin.fill("#id_intro", NEW_LESSON_INTRO)
    admin.fill("#id_estimated_minutes", "12")

    # 4. One paragraph in the body: "+" → 段落 → type into the rich-text editor.
    admin.click("#body-root button.c-sf-add-button")
    admin.get_by_role("option", name="段落").click()
    editor = admin.locator("#body-root [contenteditable=true]").first
    expect(editor).to_be_visible()
    editor.click()
    admin.keyboard.type(NEW_LESSON_TEXT)
    expect(editor).to_contain_text(NEW_LESSON_TEXT)
    # Draftail copies its content into the form's hidden input after a short debounce.
    expect(admin.locator("#body-root input[name='body-0-value']")).to_have_value(
        re.compile(re.escape(NEW_LESSON_TEXT))
    )
    screenshot(admin, "trainer-lesson-form")

    # 5. Trainers cannot publish: the footer's menu offers "submit to the review workflow".
    expect(admin.locator("footer button[name=action-publish]")).to_have_count(0)
    admin.click("footer .w-dropdown__toggle")
    submit = admin.locator("footer button[name=action-submit]")
    expect(submit).to_be_visible()
    expect(submit).to_contain_text("课程与活动审核")
    screenshot(admin, "trainer-submit-menu")
    submit.click()
    admin.wait_for_url(f"**/admin/pages/{course.pk}/")
    expect(admin.locator(".messages")).to_contain_text(NEW_LESSON_TITLE)
    row = admin.locator("table.listing tr", has_text=NEW_LESSON_TITLE)
    expect(row).to_contain_text("审核中")
    screenshot(admin, "trainer-submitted")

    # 6. Saved, not live, waiting for the reviewers' task; the body came through the editor.
    lesson = LessonPage.objects.get(title=NEW_LESSON_TITLE)
    assert lesson.get_parent().pk == course.pk
    assert not lesson.live
    state = lesson.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == "课程与活动审核"
    assert state.current_task_state.task.name == "审核员审批"
    draft = lesson.get_latest_revision_as_object()
    assert draft.intro == NEW_LESSON_INTRO
    assert draft.estimated_minutes == 12
    assert [block.block_type for block in draft.body] == ["paragraph"]
    assert NEW_LESSON_TEXT in draft.body[0].value.source

    # 7. A collector, on a phone, sees only the published lesson in the outline.
    phone.goto(base + "/accounts/login/")
    log_in(phone, collector.email, PASSWORD)
    phone.wait_for_url(base + "/")
    phone.goto(base + course.url)
    expect(phone.locator(OUTLINE_ITEMS)).to_have_count(1)
    expect(phone.locator(".course-outline")).not_to_contain_text(NEW_LESSON_TITLE)
    screenshot(phone, "collector-before-review")
    assert_fits_the_viewport(phone)

    # 8. The trainer signs out from the admin's account menu.
    admin.click(".sidebar-footer__account")
    admin.click(ADMIN_LOGOUT_BUTTON)
    admin.wait_for_url("**/accounts/login/**")

    # 9. The reviewer signs in; the dashboard lists the lesson as awaiting their review.
    log_in_to_admin(admin, base, reviewer)
    awaiting = admin.locator("#awaiting-review-content tr", has_text=NEW_LESSON_TITLE)
    expect(awaiting).to_be_visible()
    expect(awaiting).to_contain_text("陈老师")
    screenshot(admin, "reviewer-dashboard")

    # 10. Approve with a comment, from the row's action menu.
    awaiting.locator(".w-dropdown__toggle").click()
    awaiting.locator("button[data-workflow-action-url*='/approve/'][data-launch-modal]").click()
    modal = admin.locator(".modal")
    expect(modal.locator("#id_comment")).to_be_visible()
    modal.locator("#id_comment").fill(REVIEW_COMMENT)
    # Let the modal finish fading in, for a legible screenshot.
    # Not wait_for_function: its string predicate needs eval, which the admin's CSP refuses.
    expect(admin.locator(".modal").first).to_have_css("opacity", "1")
    screenshot(admin, "reviewer-approve-with-comment")
    modal.locator("form button[type=submit]").click()
    # The modal posts the action, then the dashboard reloads without the lesson awaiting review.
    expect(modal).to_have_count(0)
    admin.wait_for_load_state()
    expect(admin.locator("#awaiting-review-content tr", has_text=NEW_LESSON_TITLE)).to_have_count(0)
    screenshot(admin, "reviewer-approved")

    lesson.refresh_from_db()
    assert lesson.live
    task_state = TaskState.objects.get(workflow_state=state)
    assert task_state.status == TaskState.STATUS_APPROVED
    assert task_state.comment == REVIEW_COMMENT
    assert task_state.finished_by == reviewer
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED

    # 11. The collector reloads the course page: the new lesson is in the outline.
    phone.reload()
    new_lesson_link = phone.locator(f"{OUTLINE_ITEMS} a", has_text=NEW_LESSON_TITLE)
    expect(phone.locator(OUTLINE_ITEMS)).to_have_count(2)
    expect(new_lesson_link).to_be_visible()
    screenshot(phone, "collector-after-review")
    assert_fits_the_viewport(phone)

    # 12. Enrol, open the new lesson and read it.
    phone.click(".course-study form.enrol-form button[type=submit]")
    expect(phone.locator(".course-study a.resume-link")).to_be_visible()
    new_lesson_link.click()
    phone.wait_for_url(base + lesson.url)
    expect(phone.locator(".lesson-header h1")).to_have_text(NEW_LESSON_TITLE)
    expect(phone.locator(".lesson-header .lead")).to_have_text(NEW_LESSON_INTRO)
    expect(phone.locator(".lesson-body")).to_contain_text(NEW_LESSON_TEXT)
    screenshot(phone, "collector-reads-new-lesson")
    assert_fits_the_viewport(phone)
