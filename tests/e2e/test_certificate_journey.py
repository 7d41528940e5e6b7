"""A collector completes the demo programme 合规催收从业资格 on a phone and gets certified.

They finish the last required course in the browser, pass the exam 合规催收上岗考试 with every
answer right, find the new certificate under "My certificates", download its PDF and copy the
share link. The QR code printed on the PDF is then opened in another, logged-out browser
context: the public verification page shows the masked name, the programme and "valid".

Four of the five required courses are completed in the setup through ``courses.progress``
(the same service the lesson pages call): clicking through all their lessons would add about a
minute and test nothing the fifth course does not. Certificates are issued by a Celery task,
which runs eagerly in tests, right after the grade commits.

Selectors use classes, data attributes and URLs rather than copy, so the test passes whether or
not the new strings are translated yet. Each step saves a screenshot under
var/screenshots/<test name>/. ``serialized_rollback`` restores what the data migrations created.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from content.demo import ensure_site_structure
from courses.demo import ensure_demo_courses
from courses.models import CoursePage, Enrolment
from courses.progress import course_outline, enrol, mark_complete
from exams.certificates.demo import PROGRAMME, REQUIRED_COURSES, ensure_demo_programme
from exams.certificates.models import Certificate, CertificateStatus, CertificationProgramme
from exams.demo import ensure_demo_exam
from exams.models import Attempt
from lms.accounts.models import User
from lms.accounts.roles import Role
from lms.lib.masking import mask_name
from tests.conftest import PASSWORD, make_user

from .conftest import DEFAULT_TIMEOUT_MS, CSPViolations, assert_fits_the_viewport, log_in

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (a dev dependency) decodes QR codes")

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

COLLECTOR_EMAIL = "sun.certified@example.com"
COLLECTOR_NAME = "孙小七"
LAST_COURSE = REQUIRED_COURSES[-1]  # the one studied in the browser

MY_CERTIFICATES_LINK = ".section-nav a[href='/certificates/']"
PROGRAMME_CARD = ".certificate-card.programme-progress"
NEXT_LESSON_BUTTON = "form.lesson-nav__next button[type=submit]"
MARK_COMPLETE_BUTTON = "form.complete-form button[type=submit]"


@pytest.fixture
def programme() -> CertificationProgramme:
    """The demo programme, set up in seed_demo's order: site, courses, exam, then programme."""
    call_command("load_regulations", verbosity=0)
    ensure_site_structure()
    ensure_demo_courses()
    ensure_demo_exam()
    ensure_demo_programme()
    programme = CertificationProgramme.objects.get(code=PROGRAMME["code"])
    assert sorted(programme.required_courses.values_list("slug", flat=True)) == sorted(
        REQUIRED_COURSES
    )
    return programme


@pytest.fixture
def collector_user(programme: CertificationProgramme) -> User:
    """A collector who has already finished every required course but the last one."""
    user = make_user(COLLECTOR_EMAIL, COLLECTOR_NAME, Role.COLLECTOR)
    for course in programme.required_courses.exclude(slug=LAST_COURSE):
        enrol(user, course)
        for lesson in course_outline(course).lessons:
            mark_complete(user, lesson, course)
    assert Enrolment.objects.filter(user=user, completed_at__isnull=False).count() == 4
    return user


def right_answers(attempt: Attempt) -> dict[int, list[int]]:
    """The options with a positive fraction, per position, read from the frozen paper."""
    plan = {}
    for row in attempt.questions.select_related("version").order_by("position"):
        fractions = {
            choice["id"]: Decimal(choice["fraction"]) for choice in row.version.data["choices"]
        }
        plan[row.position] = [pk for pk in row.choice_order if fractions[pk] > 0]
    return plan


def answer(page: Page, position: int, choice_ids: list[int]) -> None:
    """Tick the options, then wait until the page has saved the answer."""
    question = page.locator(f'[data-question="{position}"]')
    for choice_id in choice_ids:
        question.locator(f'label.choice:has(input[value="{choice_id}"])').click()
    expect(question.locator("[data-status]")).to_have_attribute("data-state", "saved")


def qr_codes_in(pdf: bytes) -> list[str]:
    """What the QR codes on the PDF's first page say, as a phone camera would read them."""
    page = PdfReader(BytesIO(pdf)).pages[0]
    return [
        barcode.text
        for image in page.images
        for barcode in zxingcpp.read_barcodes(image.image)
        if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]


def test_collector_completes_the_programme_and_a_stranger_verifies_the_certificate_by_its_qr(
    live_server,
    settings,
    browser: Browser,
    phone_page: Page,
    csp_violations: CSPViolations,
    screenshot: Screenshot,
    mailoutbox: list,
    programme: CertificationProgramme,
    collector_user: User,
) -> None:
    # The QR code holds SITE_BASE_URL + path: point it at this test server before issuing.
    settings.SITE_BASE_URL = live_server.url
    page = phone_page
    last_course = CoursePage.objects.get(slug=LAST_COURSE)
    exam = programme.final_exam

    # 1. Log in; "My certificates" (main navigation) shows the programme, 4 of 5 courses done.
    page.goto(live_server.url + "/accounts/login/")
    log_in(page, COLLECTOR_EMAIL, PASSWORD)
    page.wait_for_url(live_server.url + "/")
    page.click(MY_CERTIFICATES_LINK)
    page.wait_for_url(live_server.url + "/certificates/")
    card = page.locator(PROGRAMME_CARD, has_text=programme.name)
    expect(card.locator(".renewal-steps > li")).to_have_count(6)  # five courses, then the exam
    expect(card.locator(".renewal-steps > li.is-done")).to_have_count(4)
    expect(page.locator(".certificate-card[data-certificate]")).to_have_count(0)
    screenshot(page, "programme-four-of-five")
    assert_fits_the_viewport(page)

    # 2. The missing course, from its link on the card: enrol.
    card.locator(f"a[href='{last_course.url}']").click()
    page.wait_for_url(live_server.url + last_course.url)
    page.click(".course-study form.enrol-form button[type=submit]")
    resume = page.locator(".course-study a.resume-link")
    lessons = course_outline(last_course).lessons
    assert len(lessons) >= 2, lessons
    expect(resume).to_have_attribute("href", lessons[0].url)
    screenshot(page, "course-enrolled")
    resume.click()

    # 3. Study it: mark the first lesson complete, then go on lesson by lesson to the end.
    page.wait_for_url(live_server.url + lessons[0].url)
    page.click(MARK_COMPLETE_BUTTON)
    page.wait_for_url(live_server.url + lessons[0].url)
    expect(page.locator(".lesson-done")).to_be_visible()
    screenshot(page, "lesson-1-complete")
    for index, lesson in enumerate(lessons):
        page.wait_for_url(live_server.url + lesson.url)
        done = max(index, 1)  # the lessons before this one, and lesson 1 marked above
        expect(page.locator(".course-progress__bar")).to_have_attribute("value", str(done))
        page.click(NEXT_LESSON_BUTTON)
    # Finishing the last lesson leads back to the course page: done.
    page.wait_for_url(live_server.url + last_course.url)
    expect(page.locator(".course-study .course-done")).to_be_visible()
    screenshot(page, "course-complete")
    assert_fits_the_viewport(page)
    enrolment = Enrolment.objects.get(user=collector_user, course=last_course)
    assert enrolment.completed_at is not None

    # 4. Back to "My certificates": every course done, the exam is what is left; open it.
    page.click(MY_CERTIFICATES_LINK)
    page.wait_for_url(live_server.url + "/certificates/")
    card = page.locator(PROGRAMME_CARD, has_text=programme.name)
    expect(card.locator(".renewal-steps > li.is-done")).to_have_count(5)
    exam_step = card.locator(".renewal-steps > li").last
    expect(exam_step).not_to_have_class("is-done")
    screenshot(page, "programme-exam-left")
    exam_step.locator(f"a[href='{exam.url}']").click()
    page.wait_for_url(live_server.url + exam.url)

    # 5. Sit the exam and answer every question right.
    page.click(".exam-start form button[type=submit]")
    page.wait_for_url("**/exam-attempts/*/")
    attempt = Attempt.objects.get(user=collector_user, exam=exam)
    plan = right_answers(attempt)
    expect(page.locator("[data-question]")).to_have_count(len(plan))
    for position, choice_ids in sorted(plan.items()):
        answer(page, position, choice_ids)
    expect(page.locator("[data-answered-count]")).to_have_text(str(len(plan)))
    expect(page.locator("[data-global-status]")).to_have_attribute("data-state", "saved")
    screenshot(page, "exam-answered")

    # 6. Finish, confirm, and land on the review: full marks, passed.
    page.click("[data-finish]")
    page.wait_for_url(f"**/exam-attempts/{attempt.pk}/submit/")
    expect(page.locator(".submit-unanswered")).to_have_count(0)
    screenshot(page, "exam-confirm")
    page.click(".submit-confirm form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/exam-attempts/{attempt.pk}/review/")
    expect(page.locator(".result__score")).to_contain_text(f"{len(plan)} / {len(plan)}")
    expect(page.locator(".result__verdict .badge-ok")).to_be_visible()
    screenshot(page, "exam-review")
    assert_fits_the_viewport(page)

    # 7. The certificate was issued once the grade committed, with its PDF, and emailed.
    attempt.refresh_from_db()
    assert attempt.passed and attempt.percent == 100
    certificate = Certificate.objects.get(holder=collector_user)
    assert certificate.status == CertificateStatus.VALID
    assert certificate.programme == programme
    assert certificate.holder_name == COLLECTOR_NAME
    assert certificate.request.attempt_id == attempt.pk
    assert certificate.pdf
    verification_url = live_server.url + certificate.verification_url
    assert certificate.absolute_verification_url == verification_url
    issued_mail = [m for m in mailoutbox if m.to == [COLLECTOR_EMAIL] and m.attachments]
    assert [a[0] for m in issued_mail for a in m.attachments] == [f"{certificate.serial}.pdf"]

    # 8. "My certificates" lists it as valid, with its serial; the programme card is gone.
    page.click(MY_CERTIFICATES_LINK)
    page.wait_for_url(live_server.url + "/certificates/")
    card = page.locator(f'.certificate-card[data-certificate="{certificate.serial}"]')
    expect(card).to_be_visible()
    expect(card).to_have_class(re.compile(r"\bstatus-valid\b"))
    expect(card.locator(".status-pill--valid")).to_be_visible()
    expect(card.locator(".serial")).to_have_text(certificate.serial)
    expect(card).to_contain_text(programme.name)
    expect(page.locator(PROGRAMME_CARD)).to_have_count(0)
    screenshot(page, "my-certificates")
    assert_fits_the_viewport(page)

    # 9. Download the PDF: named after the serial, showing the full name and the serial.
    with page.expect_download() as download_info:
        card.locator(f"a[href='/certificates/{certificate.pk}/pdf/']").click()
    download = download_info.value
    assert download.suggested_filename == f"{certificate.serial}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(pdf))
    text = "".join(reader.pages[0].extract_text().split())  # letter spacing may read as spaces
    assert COLLECTOR_NAME in text
    assert certificate.serial in text

    # 10. Its QR code is the certificate's public verification URL on this server.
    assert qr_codes_in(pdf) == [verification_url]

    # 11. Copy the share link: the field holds the verification URL; the button reports back.
    share = card.locator("[data-share]")
    expect(share.locator("[data-share-input]")).to_have_value(verification_url)
    copy = share.locator("[data-share-copy]")
    expect(copy).to_be_visible()  # the script shows it where the Clipboard API is available
    copy.click()
    status = share.locator("[data-share-status]")
    # Headless Chromium may refuse the clipboard; either way the page says what happened.
    outcomes = [copy.get_attribute("data-copied"), copy.get_attribute("data-failed")]
    expect(status).not_to_be_empty()
    assert status.inner_text() in outcomes, (status.inner_text(), outcomes)
    share.scroll_into_view_if_needed()
    screenshot(page, "share-link")

    # 12. A stranger scans the QR code: another browser context, never logged in.
    stranger = csp_violations.watch(
        browser.new_context(
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            locale="zh-CN",
        )
    )
    stranger.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        public = stranger.new_page()
        response = public.goto(qr_codes_in(pdf)[0])
        assert response is not None and response.status == 200
        assert public.url == verification_url  # no detour through the login page
        expect(public.locator(".site-header a[href='/accounts/login/']")).to_be_visible()
        expect(public.locator(".nav-user")).to_have_count(0)
        banner = public.locator(".verification .status-banner")
        expect(banner).to_have_attribute("data-status", CertificateStatus.VALID)
        facts = public.locator(".verification .certificate-facts")
        masked = mask_name(COLLECTOR_NAME)
        assert masked == "孙*七"
        expect(facts.locator("dd").first).to_have_text(masked)
        expect(facts).to_contain_text(programme.name)
        expect(facts.locator(".status-pill--valid")).to_be_visible()
        expect(facts.locator(".serial")).to_have_text(certificate.serial)
        expect(public.locator("main")).not_to_contain_text(COLLECTOR_NAME)
        screenshot(public, "public-verification")
        assert_fits_the_viewport(public)

        # The PDF itself stays private: the stranger is sent to log in.
        public.goto(f"{live_server.url}/certificates/{certificate.pk}/pdf/")
        expect(public).to_have_url(
            re.compile(re.escape(f"{live_server.url}/accounts/login/?next="))
        )
    finally:
        stranger.close()
