"""The Content-Security-Policy in a real browser: what it blocks, and what must keep working.

Every journey fails on a CSP violation (``csp_violations`` in conftest.py). These journeys cover
what the others do not: that the watcher really sees a blocked script, the Wagtail admin's
editor (StreamField, image chooser, live preview in an iframe, the scheduling dialog's date
picker), and the API's Swagger UI, all under the policies in lms/settings/base.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Page, expect
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from courses.models import CoursePage, LessonPage
from lms.accounts.models import User
from tests.conftest import PASSWORD, activate_totp
from tests.courses.pages import make_course

from .conftest import CSPViolations, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

IMAGE_TITLE = "催收作业现场示意图"
ALT_TEXT = "两名催收员在客户门外等候"


@pytest.fixture
def course() -> CoursePage:
    return make_course(slug="visits", title="上门催收规范", lessons=1)


@pytest.fixture
def editor(admin_user: User) -> User:
    activate_totp(admin_user)
    return admin_user


def test_an_inline_script_is_blocked_and_reported(
    live_server, phone_page: Page, csp_violations: CSPViolations
) -> None:
    page = phone_page
    page.goto(live_server.url + "/")

    # What an injected <script> would try: it must not run, and the watcher must hear of it.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
        }"""
    )

    assert page.evaluate("() => window.injected === undefined")
    for _ in range(50):  # the report reaches Python asynchronously
        if csp_violations:
            break
        page.wait_for_timeout(100)
    assert any("script-src" in violation for violation in csp_violations), csp_violations
    csp_violations.clear()  # expected here; any other violation still fails the journey


def test_an_editor_adds_an_image_previews_schedules_and_saves_under_the_admin_policy(
    live_server,
    settings,
    desktop_page: Page,
    screenshot: Screenshot,
    course: CoursePage,
    editor: User,
) -> None:
    if connection.vendor == "sqlite":
        # SQLite's shared in-memory test database locks whole tables: the editor's autosave
        # (every 500 ms) would race the preview's reads ("database table is locked").
        settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    Image.objects.create(title=IMAGE_TITLE, file=get_test_image_file())
    lesson = LessonPage.objects.child_of(course).get()
    base, admin = live_server.url, desktop_page

    # 1. Sign in through allauth (password, then TOTP) and open the lesson's editor.
    admin.goto(base + "/admin/")
    admin.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(admin, editor.email, PASSWORD, totp_user=editor)
    admin.wait_for_url(base + "/admin/")
    admin.goto(f"{base}/admin/pages/{lesson.pk}/edit/")
    expect(admin.locator("#id_title")).to_have_value(lesson.title)

    # 2. StreamField: "+" → 图片 → the image chooser modal → pick the image.
    admin.click("#body-root button.c-sf-add-button")
    admin.get_by_role("option", name="图片").click()
    admin.locator("#body-root .chooser__choose-button").first.click()
    modal = admin.locator(".modal")
    expect(modal.get_by_text(IMAGE_TITLE)).to_be_visible()
    screenshot(admin, "image-chooser")
    modal.locator("a[data-chooser-modal-choice]").first.click()
    expect(modal).to_have_count(0)
    expect(admin.locator("#body-root .chooser__title").first).to_have_text(IMAGE_TITLE)
    admin.locator("#body-root input[name$='-image-alt_text']").first.fill(ALT_TEXT)
    screenshot(admin, "image-chosen")

    # 3. The live preview: a same-origin iframe in the side panel shows the lesson.
    admin.click("button[data-side-panel-toggle='preview']")
    preview = admin.frame_locator("#w-preview-iframe")
    expect(preview.locator(".lesson-header h1")).to_have_text(lesson.title)
    expect(preview.locator(f"img[alt='{ALT_TEXT}']")).to_be_visible()
    screenshot(admin, "preview")
    admin.click("button[data-side-panel-toggle='preview']")

    # 4. Scheduling: the status panel's dialog with Wagtail's date-time picker.
    admin.click("button[data-side-panel-toggle='status']")
    admin.locator("button[data-a11y-dialog-show='schedule-publishing-dialog']:visible").click()
    go_live = admin.locator("#schedule-publishing-dialog input[name='go_live_at']")
    expect(go_live).to_be_visible()
    go_live.click()
    expect(admin.locator(".xdsoft_datetimepicker:visible").first).to_be_visible()
    screenshot(admin, "schedule-date-picker")
    admin.keyboard.press("Escape")

    # 5. Save the draft: the page comes back with the image block stored.
    admin.locator("footer button.action-save").first.click()
    expect(admin.locator(".messages")).to_contain_text(lesson.title)
    screenshot(admin, "saved")
    draft = LessonPage.objects.get(pk=lesson.pk).get_latest_revision_as_object()
    images = [block for block in draft.body if block.block_type == "image"]
    assert images and images[0].value["image"].title == IMAGE_TITLE


def test_the_api_docs_work_under_the_strict_policy(
    live_server, desktop_page: Page, screenshot: Screenshot
) -> None:
    page = desktop_page
    page.goto(live_server.url + "/api/v1/docs")

    # Swagger UI is built by scripts from our static files; the operations prove they ran.
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    operations.first.locator(".opblock-summary").click()
    expect(page.locator(".swagger-ui .opblock.is-open").first).to_be_visible()
    screenshot(page, "swagger-ui")
