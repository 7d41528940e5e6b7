"""A collector takes the demo exam 合规催收上岗考试 on a phone, from the exam list to the review.

They answer some questions (each saved as it is ticked), reload the page (the browser warns
that the exam is in progress; the answers stay ticked and the timer keeps running down), answer
the rest, and on the confirmation page tap "确认交卷" twice in quick succession: one graded
attempt, and the review shows the right answers and explanations (the exam's policy is "full").

Each step saves a screenshot under var/screenshots/<test name>/ for a human to look over.
``serialized_rollback`` restores what the data migrations created (the home page, the exam
index, the role groups), which the transactional test's flush would otherwise wipe.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.signals import request_started
from playwright.sync_api import Dialog, Page, expect

from exams.certificates.models import CertificationProgramme
from exams.demo import ensure_demo_exam
from exams.demo_content import EXAM
from exams.models import Attempt, AttemptQuestion, AttemptStatus, ExamPage
from lms.accounts.models import User
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, make_user

from ..courses.pages import add_lesson, make_course
from ..exams.certificate_factories import complete_course
from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

COLLECTOR_EMAIL = "sun.collector@example.com"
COLLECTOR_NAME = "孙七"
ANSWER_BEFORE_RELOAD = 12  # questions answered before the reload; the rest after it
TIMER = "[data-timer]"
ANSWERED_COUNT = "[data-answered-count]"
SUBMIT_BUTTON = ".submit-confirm form button[type=submit]"


@pytest.fixture
def demo_exam() -> ExamPage:
    call_command("load_regulations", verbosity=0)
    ensure_demo_exam()
    return ExamPage.objects.get(slug=EXAM["slug"])


@pytest.fixture
def collector_user() -> User:
    return make_user(COLLECTOR_EMAIL, COLLECTOR_NAME, Role.COLLECTOR)


def seconds_on(page: Page) -> int:
    """The countdown as shown ("44:58" or "1:02:03"), in seconds."""
    text = page.locator(TIMER).inner_text().strip()
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def plan_answers(attempt: Attempt) -> dict[int, list[int]]:
    """What the collector ticks, by position: the right options, except every fifth question,
    where they pick a wrong one. Decided from the frozen paper, in the paper's choice order."""
    plan = {}
    for row in attempt.questions.select_related("version").order_by("position"):
        fractions = {
            choice["id"]: Decimal(choice["fraction"]) for choice in row.version.data["choices"]
        }
        right = [pk for pk in row.choice_order if fractions[pk] > 0]
        wrong = [pk for pk in row.choice_order if fractions[pk] <= 0]
        plan[row.position] = wrong[:1] if row.position % 5 == 0 else right
    return plan


def answer(page: Page, position: int, choice_ids: list[int]) -> None:
    """Tick the options like a thumb would, then wait until the page says 已保存."""
    question = page.locator(f'[data-question="{position}"]')
    for choice_id in choice_ids:
        question.locator(f'label.choice:has(input[value="{choice_id}"])').click()
    expect(question.locator("[data-status]")).to_have_text("已保存")


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def assert_ticked(page: Page, position: int, choice_ids: list[int]) -> None:
    inputs = page.locator(f'[data-question="{position}"] input')
    checked = {
        int(inputs.nth(index).get_attribute("value"))
        for index in range(inputs.count())
        if inputs.nth(index).is_checked()
    }
    assert checked == set(choice_ids), (position, checked, choice_ids)


def test_collector_takes_the_demo_exam_survives_a_reload_and_double_submits_once(
    live_server,
    phone_page: Page,
    screenshot: Screenshot,
    demo_exam: ExamPage,
    collector_user: User,
) -> None:
    page = phone_page
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        # Leaving the attempt page asks for confirmation; the collector confirms.
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)

    # 1. Log in; 考试 in the main navigation lists the exam.
    page.goto(live_server.url + "/accounts/login/")
    log_in(page, COLLECTOR_EMAIL, PASSWORD)
    page.wait_for_url(live_server.url + "/")
    page.click(".section-nav a[href='/exams/']")
    page.wait_for_url(live_server.url + "/exams/")
    exam_link = page.locator(".exam-card__title a", has_text=EXAM["title"])
    expect(exam_link).to_be_visible()
    screenshot(page, "exam-list")
    assert_fits_the_viewport(page)

    # 2. The exam page: the rules, then start.
    exam_link.click()
    page.wait_for_url(live_server.url + demo_exam.url)
    expect(page.locator("h1")).to_have_text(EXAM["title"])
    expect(page.locator(".exam-rules")).to_contain_text("45")
    screenshot(page, "exam-page")
    assert_fits_the_viewport(page)
    page.click(".exam-start form button[type=submit]")
    page.wait_for_url("**/exam-attempts/*/")
    attempt = Attempt.objects.get(user=collector_user, exam=demo_exam)
    assert page.url == f"{live_server.url}/exam-attempts/{attempt.pk}/"
    expect(page.locator("[data-question]")).to_have_count(30)
    expect(page.locator(ANSWERED_COUNT)).to_have_text("0")
    screenshot(page, "attempt-started")
    assert_fits_the_viewport(page)

    # 3. Answer the first questions; each is saved as it is ticked.
    plan = plan_answers(attempt)
    positions = sorted(plan)
    first, rest = positions[:ANSWER_BEFORE_RELOAD], positions[ANSWER_BEFORE_RELOAD:]
    for position in first:
        answer(page, position, plan[position])
    expect(page.locator(ANSWERED_COUNT)).to_have_text(str(len(first)))
    expect(page.locator("[data-global-status]")).to_have_text("全部答案已保存")
    saved = dict(
        AttemptQuestion.objects.filter(attempt=attempt, response__isnull=False).values_list(
            "position", "response"
        )
    )
    assert {p: sorted(r) for p, r in saved.items()} == {p: sorted(plan[p]) for p in first}
    page.locator(f'[data-question="{first[-1]}"]').scroll_into_view_if_needed()
    screenshot(page, "answered-some")
    before_reload = seconds_on(page)

    # 4. Reload: the browser warns first; the answers are still ticked, the timer runs on.
    page.reload()
    expect(page.locator("[data-question]")).to_have_count(30)
    assert "beforeunload" in dialogs
    for position in positions:
        assert_ticked(page, position, plan[position] if position in first else [])
    expect(page.locator(ANSWERED_COUNT)).to_have_text(str(len(first)))
    after_reload = seconds_on(page)
    assert 0 < after_reload <= before_reload, (before_reload, after_reload)
    # Still counting down (the script takes over from the server's figure when it runs).
    expect(page.locator(TIMER)).not_to_have_text(page.locator(TIMER).inner_text(), timeout=3000)
    assert seconds_on(page) < after_reload
    screenshot(page, "after-reload")
    assert_fits_the_viewport(page)

    # 5. Answer the rest.
    for position in rest:
        answer(page, position, plan[position])
    expect(page.locator(ANSWERED_COUNT)).to_have_text("30")
    expect(page.locator("[data-global-status]")).to_have_text("全部答案已保存")
    screenshot(page, "answered-all")
    assert_fits_the_viewport(page)

    # 6. Finish: the confirmation page counts the answers.
    page.click("[data-finish]")
    page.wait_for_url(f"**/exam-attempts/{attempt.pk}/submit/")
    expect(page.locator(".submit-confirm")).to_contain_text("共 30 题，你已回答 30 题。")
    expect(page.locator(".submit-unanswered")).to_have_count(0)
    screenshot(page, "confirm-submit")
    assert_fits_the_viewport(page)

    # 7. Two quick taps on 确认交卷, the second while the first is on its way (as on a slow
    # network): the browser posts the form twice; the server grades once.
    submit_path = f"/exam-attempts/{attempt.pk}/submit/"
    submit_url = live_server.url + submit_path
    sent: list[str] = []  # seen by the browser
    received: list[str] = []  # seen by the server (live_server runs in this process)
    page.on(
        "request",
        lambda request: sent.append(request.method) if request.url == submit_url else None,
    )

    def record(sender: object, environ: dict, **kwargs: object) -> None:
        if environ["PATH_INFO"] == submit_path:
            received.append(environ["REQUEST_METHOD"])

    request_started.connect(record)
    button = page.locator(SUBMIT_BUTTON)
    expect(button).to_have_text("确认交卷")
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_request(lambda request: request.url == submit_url):
        page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)
    # The first navigation is cancelled by the second (net::ERR_ABORTED), so poll the address
    # rather than wait for one navigation's outcome.
    expect(page).to_have_url(f"{live_server.url}/exam-attempts/{attempt.pk}/review/")
    expect(page.locator(".result__score")).to_be_visible()

    try:
        wait_until(lambda: len(received) >= 2)
    finally:
        request_started.disconnect(record)
    assert sent == ["POST", "POST"], sent
    assert received == ["POST", "POST"], received
    attempts = list(Attempt.objects.filter(user=collector_user))
    assert len(attempts) == 1, attempts
    attempt = attempts[0]
    right = [p for p in positions if p % 5 != 0]
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_at is not None
    assert attempt.max_score == 30
    assert attempt.score == len(right), (attempt.score, len(right))
    assert attempt.passed is (attempt.percent >= EXAM["pass_mark_percent"])

    # 8. The review (policy "full"): score, verdict, right answers and explanations.
    expect(page.locator(".result__score")).to_contain_text(f"{len(right)} / 30")
    expect(page.locator(".result__verdict .badge-ok")).to_contain_text("通过")  # 24/30 = 80%
    expect(page.locator(".review-question")).to_have_count(30)
    expect(page.locator(".review-question.outcome-right")).to_have_count(len(right))
    expect(page.locator(".review-question.outcome-wrong")).to_have_count(
        len(positions) - len(right)
    )
    first_wrong = page.locator(f"#q-{positions[4]}")
    expect(first_wrong.locator(".tag-right").first).to_have_text("正确答案")
    expect(first_wrong.locator(".review-choice.is-selected")).to_contain_text("你的答案")
    expect(first_wrong.locator(".review-explanation")).to_contain_text("解析")
    assert page.locator(".review-question .review-explanation").count() == 30
    first_wrong.scroll_into_view_if_needed()
    screenshot(page, "review")
    assert_fits_the_viewport(page)


def test_a_collector_sees_the_courses_still_missing_and_can_start_only_after_completing_them(
    live_server,
    phone_page: Page,
    screenshot: Screenshot,
    demo_exam: ExamPage,
    collector_user: User,
) -> None:
    """Issue 11, item 1: the programme's final exam lists what is missing and offers no start;
    once the courses are done, the exam starts (and warns what a fail would mean)."""
    page = phone_page
    courses = [
        make_course(slug="banking-rules", title="银行业催收监管规定", lessons=2),
        make_course(slug="de-escalation", title="沟通降级技巧", lessons=1),
    ]
    programme = CertificationProgramme.objects.create(
        name="合规催收从业资格", code="compliant-collection", final_exam=demo_exam
    )
    programme.required_courses.set(courses)
    programme.save()
    complete_course(collector_user, courses[1])

    # 1. The exam page: why it cannot start yet, and links to the course still missing.
    page.goto(live_server.url + "/accounts/login/")
    log_in(page, COLLECTOR_EMAIL, PASSWORD)
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + demo_exam.url)
    start = page.locator(".exam-start")
    expect(start.locator(".exam-blocker")).to_have_text(
        "完成合规催收从业资格的课程后才能开始本考试。"
    )
    expect(start.locator(".exam-prerequisites__list li")).to_have_count(1)
    course_link = start.locator(".exam-prerequisites__list a")
    expect(course_link).to_have_text("银行业催收监管规定")
    expect(start).to_contain_text("已完成 0 / 2 课")
    expect(start.locator("form button[type=submit]")).to_have_count(0)
    start.scroll_into_view_if_needed()
    screenshot(page, "exam-gated")
    assert_fits_the_viewport(page)

    # 2. The link leads to the course.
    course_link.click()
    page.wait_for_url(live_server.url + courses[0].url)
    expect(page.locator("h1")).to_have_text("银行业催收监管规定")

    # 3. With the last course completed, the exam page offers the start, and says what a fail
    # would mean (24 h wait, two attempts left after this one).
    complete_course(collector_user, courses[0])
    page.goto(live_server.url + demo_exam.url)
    expect(start.locator(".exam-prerequisites__list")).to_have_count(0)
    expect(start.locator(".exam-warning")).to_contain_text("如未通过，交卷 24 小时后可以再考")
    expect(start.locator(".exam-warning")).to_contain_text("本次之后还剩 2 次机会。")
    start.scroll_into_view_if_needed()
    screenshot(page, "exam-open")
    assert_fits_the_viewport(page)
    start.locator("form button[type=submit]").click()
    page.wait_for_url("**/exam-attempts/*/")
    assert Attempt.objects.filter(user=collector_user, exam=demo_exam).count() == 1
    expect(page.locator("[data-question]")).to_have_count(30)

    # 4. Issue 11, item 8: the paper's case is labelled 案例： once, not "案例：案例：…".
    label = page.locator(".case-text__label")
    expect(label).to_have_count(1)
    expect(label).to_have_text(re.compile(r"^案例：(?!案例)\S"))
    label.scroll_into_view_if_needed()
    screenshot(page, "case-label")
    assert_fits_the_viewport(page)

    # 5. Hand in a blank paper: the result page says what to do next — attempts left, when the
    # next may start, and the lesson that teaches an article a missed question cites.
    attempt = Attempt.objects.get(user=collector_user, exam=demo_exam)
    cited = next(
        row.version.data["regulation_id"]
        for row in attempt.questions.select_related("version").order_by("position")
        if row.version.data.get("regulation_id")
    )
    lesson = add_lesson(
        courses[0],
        "外访与通话的法律红线",
        slug="red-lines",
        body=[{"type": "citation", "value": {"regulation": cited, "note": ""}}],
    )
    page.click("[data-finish]")
    page.wait_for_url(f"**/exam-attempts/{attempt.pk}/submit/")
    page.locator(SUBMIT_BUTTON).click()
    page.wait_for_url(f"**/exam-attempts/{attempt.pk}/review/")
    steps = page.locator(".next-steps")
    expect(steps).to_contain_text("你还有 2 次机会。")
    expect(steps).to_contain_text("之后可以开始下一次考试。")
    expect(steps.locator(".next-steps__lessons a")).to_have_text(["外访与通话的法律红线"])
    expect(steps.locator(".next-steps__lessons a")).to_have_attribute("href", lesson.url)
    screenshot(page, "fail-next-steps")
    assert_fits_the_viewport(page)
    expect(page.locator(".review-lessons a").first).to_have_text("外访与通话的法律红线")
