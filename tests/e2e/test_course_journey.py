"""A collector studies a course on a phone: enrol, answer a knowledge check, move through the
lessons, leave, come back and resume where they stopped.

Each step saves a screenshot under var/screenshots/<test name>/ for a human to look over.
``serialized_rollback`` restores what the data migrations created (the home page, the course
index, the role groups), which the transactional test's flush would otherwise wipe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from content.models import Regulation
from courses.models import CoursePage, Enrolment, LessonCompletion, LessonPage
from lms.accounts.models import User
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, make_user
from tests.courses.pages import add_lesson, lessons_of, make_course

from .conftest import assert_fits_the_viewport, log_in, log_out

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

COURSE_TITLE = "暴力催收的法律红线"
COLLECTOR_EMAIL = "zhao.collector@example.com"
COLLECTOR_NAME = "赵六"
WRONG_CHOICE = "只要不动手，怎么说都可以"
RIGHT_CHOICE = "以恐吓、跟踪、骚扰等方式催收非法债务，情节严重的构成犯罪"

PROGRESS_TEXT = ".course-progress__text"
PROGRESS_BAR = "progress.course-progress__bar"
NEXT_LESSON_BUTTON = "form.lesson-nav__next button[type=submit]"
MARK_COMPLETE_BUTTON = "form.complete-form button[type=submit]"
FEEDBACK = ".knowledge-check__feedback"


def lesson_one_body(article: Regulation) -> str:
    """Running text, the statute quoted from the library, then a question with instant feedback."""
    paragraphs = [
        {"type": "paragraph", "value": f"<p>{text}</p>"}
        for text in (
            "催收员在工作中经常面对情绪激动的债务人。无论对方态度如何，催收行为都必须合法、文明。",
            "《刑法》第二百九十三条之一规定了催收非法债务罪。下面是条文原文，请仔细阅读。",
        )
    ]
    return json.dumps(
        [
            {"type": "heading", "value": {"text": "什么是催收非法债务罪", "level": "h2"}},
            *paragraphs,
            {
                "type": "citation",
                "value": {"regulation": article.pk, "note": "暴力、恐吓、跟踪、骚扰都可能入罪。"},
            },
            {
                "type": "knowledge_check",
                "value": {
                    "question": "关于催收非法债务，下列说法哪一项正确？",
                    "choices": [
                        {
                            "text": WRONG_CHOICE,
                            "is_correct": False,
                            "feedback": "恐吓、骚扰同样可能构成犯罪。",
                        },
                        {"text": RIGHT_CHOICE, "is_correct": True, "feedback": "正是如此。"},
                    ],
                    "explanation": "见《刑法》第二百九十三条之一。",
                },
            },
        ]
    )


def paragraphs(*texts: str) -> str:
    return json.dumps([{"type": "paragraph", "value": f"<p>{text}</p>"} for text in texts])


@pytest.fixture
def course() -> CoursePage:
    call_command("load_regulations", verbosity=0)
    article = Regulation.objects.get(short_name="刑法", article_no="293-1")
    course = make_course(slug="red-lines", title=COURSE_TITLE, lessons=0)
    add_lesson(course, "催收非法债务罪", slug="lesson-1", body=lesson_one_body(article))
    add_lesson(
        course,
        "合法的联系时间与频率",
        slug="lesson-2",
        body=paragraphs(
            "联系债务人应选择合理的时间段，避免在深夜或清晨致电。",
            "同一天内反复拨打电话，可能被认定为骚扰。",
        ),
    )
    add_lesson(
        course,
        "保护债务人的个人信息",
        slug="lesson-3",
        body=paragraphs("不得向债务人的亲友、同事披露其欠款信息。"),
    )
    return course


@pytest.fixture
def collector_user() -> User:
    return make_user(COLLECTOR_EMAIL, COLLECTOR_NAME, Role.COLLECTOR)


def test_collector_enrols_studies_two_lessons_and_resumes_at_the_third_after_logging_in_again(
    live_server, phone_page: Page, screenshot: Screenshot, course: CoursePage, collector_user: User
) -> None:
    page = phone_page
    lesson_1, lesson_2, lesson_3 = lessons_of(course)

    # 1. Log in.
    page.goto(live_server.url + "/accounts/login/")
    log_in(page, COLLECTOR_EMAIL, PASSWORD)
    page.wait_for_url(live_server.url + "/")
    expect(page.locator(".nav-user")).to_have_text(COLLECTOR_NAME)

    # 2. The catalogue (课程 in the main navigation) lists the course; open it.
    page.click(".section-nav a[href='/courses/']")
    page.wait_for_url(live_server.url + "/courses/")
    card_link = page.locator(".course-card__title a", has_text=COURSE_TITLE)
    expect(card_link).to_be_visible()
    screenshot(page, "catalogue")
    assert_fits_the_viewport(page)
    card_link.click()
    page.wait_for_url(live_server.url + course.url)
    expect(page.locator("h1")).to_have_text(COURSE_TITLE)
    expect(page.locator(".course-outline .lesson-list__item")).to_have_count(3)
    screenshot(page, "course-not-enrolled")
    assert_fits_the_viewport(page)

    # 3. Enrol: the course page now offers to start at the first lesson.
    page.click(".course-study form.enrol-form button[type=submit]")
    resume = page.locator(".course-study a.resume-link")
    expect(resume).to_be_visible()
    expect(resume).to_have_attribute("href", lesson_1.url)
    expect(page.locator(PROGRESS_TEXT)).to_have_text("已完成 0/3")
    screenshot(page, "course-enrolled")
    assert_fits_the_viewport(page)
    resume.click()
    page.wait_for_url(live_server.url + lesson_1.url)

    # 4. Lesson 1: the body, with the statute quoted from the library.
    expect(page.locator(".lesson-header h1")).to_have_text("催收非法债务罪")
    expect(page.locator(".lesson-body")).to_contain_text("催收非法债务罪")
    expect(page.locator(".lesson-body")).to_contain_text("第二百九十三条之一")
    screenshot(page, "lesson-1")
    assert_fits_the_viewport(page)

    # 5. A wrong answer first, then the right one: instant feedback either way.
    check = page.locator(".knowledge-check")
    feedback = check.locator(FEEDBACK)
    expect(feedback).to_be_hidden()
    check.locator(".knowledge-check__choice", has_text=WRONG_CHOICE).click()
    expect(feedback).to_be_visible()
    expect(feedback).to_contain_text("回答错误")
    expect(feedback).to_contain_text("恐吓、骚扰同样可能构成犯罪。")
    check.scroll_into_view_if_needed()
    screenshot(page, "knowledge-check-wrong")
    assert_fits_the_viewport(page)
    check.locator(".knowledge-check__choice", has_text=RIGHT_CHOICE).click()
    expect(feedback).to_contain_text("回答正确")
    expect(feedback).not_to_contain_text("回答错误")
    screenshot(page, "knowledge-check-right")
    assert_fits_the_viewport(page)

    # 6. At the end of the lesson, go on to the next: that counts as finishing lesson 1.
    next_button = page.locator(NEXT_LESSON_BUTTON)
    next_button.scroll_into_view_if_needed()
    expect(next_button).to_contain_text("合法的联系时间与频率")
    next_button.click()
    page.wait_for_url(live_server.url + lesson_2.url)
    expect(page.locator(".lesson-header h1")).to_have_text("合法的联系时间与频率")
    expect(page.locator(PROGRESS_TEXT)).to_have_text("已完成 1/3")
    screenshot(page, "lesson-2")
    assert_fits_the_viewport(page)

    # 7. Lesson 2: mark it complete and stay.
    page.click(MARK_COMPLETE_BUTTON)
    page.wait_for_url(live_server.url + lesson_2.url)
    expect(page.locator(".lesson-done")).to_be_visible()
    expect(page.locator(PROGRESS_TEXT)).to_have_text("已完成 2/3")
    screenshot(page, "lesson-2-complete")
    assert_fits_the_viewport(page)

    # 8. Back on the course page (breadcrumb): two of three done, continue with lesson 3.
    page.click(".breadcrumb a")
    page.wait_for_url(live_server.url + course.url)
    expect(page.locator(f".course-study {PROGRESS_TEXT}")).to_have_text("已完成 2/3")
    bar = page.locator(f".course-study {PROGRESS_BAR}")
    expect(bar).to_have_attribute("value", "2")
    expect(bar).to_have_attribute("max", "3")
    assert bar.evaluate("element => element.value") == 2
    expect(page.locator(".course-outline .lesson-list__item.is-done")).to_have_count(2)
    expect(page.locator(".course-study a.resume-link")).to_have_attribute("href", lesson_3.url)
    screenshot(page, "course-progress")
    assert_fits_the_viewport(page)

    # 9. Log out, log in again, resume from My learning.
    log_out(page)
    screenshot(page, "logged-out")
    assert_fits_the_viewport(page)
    page.goto(live_server.url + "/accounts/login/")
    log_in(page, COLLECTOR_EMAIL, PASSWORD)
    page.wait_for_url(live_server.url + "/")
    page.click(".section-nav a[href='/learning/my/']")
    page.wait_for_url(live_server.url + "/learning/my/")
    item = page.locator(".learning-item", has_text=COURSE_TITLE)
    expect(item.locator(PROGRESS_TEXT)).to_have_text("已完成 2/3")
    expect(item.locator(PROGRESS_BAR)).to_have_attribute("value", "2")
    screenshot(page, "my-learning")
    assert_fits_the_viewport(page)
    item.locator("a.resume-link").click()
    page.wait_for_url(live_server.url + lesson_3.url)
    expect(page).to_have_url(re.compile(re.escape(lesson_3.url) + "$"))
    expect(page.locator(".lesson-header h1")).to_have_text("保护债务人的个人信息")
    screenshot(page, "lesson-3-resumed")
    assert_fits_the_viewport(page)

    # 10. What the database recorded: lessons 1 and 2 complete, the course not finished.
    completed = set(
        LessonCompletion.objects.filter(user=collector_user).values_list("lesson_id", flat=True)
    )
    assert completed == {lesson_1.pk, lesson_2.pk}
    enrolment = Enrolment.objects.get(user=collector_user, course=course)
    assert enrolment.completed_at is None
    assert not LessonPage.objects.filter(pk=lesson_3.pk, completions__user=collector_user).exists()
