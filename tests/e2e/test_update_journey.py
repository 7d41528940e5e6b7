"""A holder whose certificate cites a superseded article updates it on a phone (360 px).

Sign in → 我的证书 shows "需更新 — 截止 <date>" with the update course → open the course, enrol,
study its lessons to the end → 我的证书 shows the refreshed certificate, valid, with the same
expiry, and nothing left to update; the old one is listed as replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from courses.progress import course_outline
from exams.certificates.models import Certificate, CertificateStatus
from lms.accounts.roles import Role
from tests.conftest import PASSWORD, make_user
from tests.courses.pages import add_lesson
from tests.exams.certificate_factories import make_programme, use_fast_pdf
from tests.exams.update_factories import certificate_on, make_module, superseding_change

from .conftest import CSPViolations, assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]
EMAIL = "zhou.update@example.com"
MY_CERTIFICATES_LINK = ".section-nav a[href='/certificates/']"
NEXT_LESSON_BUTTON = "form.lesson-nav__next button[type=submit]"
MARK_COMPLETE_BUTTON = "form.complete-form button[type=submit]"


def test_a_holder_completes_the_update_and_the_certificate_is_valid_again(
    live_server,
    monkeypatch,
    phone_page: Page,
    csp_violations: CSPViolations,
    screenshot: Screenshot,
) -> None:
    use_fast_pdf(monkeypatch)  # the live server runs in this process
    holder = make_user(EMAIL, "周小八", Role.COLLECTOR)
    change = superseding_change()
    programme = make_programme().programme
    old = certificate_on(holder, programme, change.old)
    module = make_module(programme, change)
    add_lesson(
        module.course,
        "条文编号的变化",
        slug="renumbering",
        body=[{"type": "citation", "value": {"regulation": change.new_id, "note": ""}}],
    )
    course = module.course
    deadline = module.effective_deadline
    page = phone_page

    # 1. Sign in; 我的证书 shows the certificate needs updating, by when, and the course.
    page.goto(live_server.url + "/accounts/login/")
    log_in(page, EMAIL, PASSWORD)
    page.click(MY_CERTIFICATES_LINK)
    page.wait_for_url(live_server.url + "/certificates/")
    card = page.locator(f'.certificate-card[data-certificate="{old.serial}"]')
    notice = card.locator(".update-required")
    expect(notice).to_contain_text(
        f"需更新 — 截止 {deadline.year}年{deadline.month}月{deadline.day}日"
    )
    screenshot(page, "update-required")
    assert_fits_the_viewport(page)

    # 2. Open the update course from the card and enrol.
    notice.locator(f"a[href='{course.url}']").click()
    page.wait_for_url(live_server.url + course.url)
    page.click(".course-study form.enrol-form button[type=submit]")
    resume = page.locator(".course-study a.resume-link")
    lessons = course_outline(course).lessons
    assert len(lessons) == 2, lessons
    resume.click()

    # 3. Study the lessons to the end: the course is complete.
    page.wait_for_url(live_server.url + lessons[0].url)
    page.click(MARK_COMPLETE_BUTTON)
    page.wait_for_url(live_server.url + lessons[0].url)
    for lesson in lessons:
        page.wait_for_url(live_server.url + lesson.url)
        page.click(NEXT_LESSON_BUTTON)
    page.wait_for_url(live_server.url + course.url)
    expect(page.locator(".course-study .course-done")).to_be_visible()
    screenshot(page, "update-course-complete")
    assert_fits_the_viewport(page)

    # 4. 我的证书: the refreshed certificate, valid, same expiry; nothing left to update.
    old.refresh_from_db()
    refreshed = old.superseded_by
    assert refreshed is not None and refreshed.status == CertificateStatus.VALID
    assert refreshed.expires_at == old.expires_at
    assert Certificate.objects.get(pk=old.pk).status == CertificateStatus.SUPERSEDED
    page.click(MY_CERTIFICATES_LINK)
    page.wait_for_url(live_server.url + "/certificates/")
    card = page.locator(f'.certificate-card[data-certificate="{refreshed.serial}"]')
    expect(card).to_have_class(re.compile(r"\bstatus-valid\b"))
    expect(card.locator(".status-pill--valid")).to_be_visible()
    expect(page.locator(".update-required")).to_have_count(0)
    expect(page.locator(f'.certificate-card[data-certificate="{old.serial}"]')).to_contain_text(
        refreshed.serial
    )
    screenshot(page, "certificate-refreshed")
    assert_fits_the_viewport(page)
