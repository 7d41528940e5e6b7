"""An admission reviewer, on a 360 px phone, signs in (password and TOTP code), lands on the
applications listing, opens an application, starts the review, scores the judgement questions
and reads the total and the suggested conclusion; nothing sticks out sideways on any step.

Screenshots of each step go to var/screenshots/<test name>/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.accounts.models import FirmKind
from lms.accounts.roles import Role
from lms.admission.models import ApplicationStatus, Questionnaire
from tests.admission.review_fixtures import judgement_questions, make_application
from tests.conftest import PASSWORD, activate_totp, make_user

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]


def test_a_reviewer_scores_an_application_on_a_phone(
    live_server, phone_page: Page, screenshot: Screenshot
) -> None:
    page, base = phone_page, live_server.url
    reviewer = make_user("wu.admission@example.com", "吴敬", Role.ADMISSION_REVIEWER)
    activate_totp(reviewer)
    application = make_application(firm_name="晴川催收服务有限公司")

    # 1. Signing in lands the reviewer on the applications listing.
    page.goto(base + "/accounts/login/")
    log_in(page, reviewer.email, PASSWORD, totp_user=reviewer)
    page.wait_for_url(re.compile(r"/admin/admission/applications/$"))
    expect(page.get_by_text(application.firm_name)).to_be_visible()
    screenshot(page, "listing")
    assert_fits_the_viewport(page)

    # 2. The review page: basics, licences, answers with their evidence, section scores.
    page.click(f"a[href='/admin/admission/applications/{application.pk}/']")
    expect(page.locator("[data-section-scores]")).to_be_visible()
    expect(page.locator("[data-licences] a")).to_have_count(1)
    screenshot(page, "review")
    assert_fits_the_viewport(page)

    # 3. Start the review; the scoring fields appear next to the judgement answers.
    page.click("[data-start-review]")
    expect(page.locator("[data-score-form]")).to_be_visible()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert_fits_the_viewport(page)

    # 4. Score both judgement questions and save: the total and the suggestion show.
    for question in judgement_questions(application):
        page.fill(f"#id_score_{question.pk}", "70")
        page.fill(f"#id_note_{question.pk}", "材料齐全，核查属实")
    screenshot(page, "scoring")
    page.click("[data-score-form] button[type=submit]")
    expect(page.locator("[data-total]")).to_contain_text("92.00")
    expect(page.locator("[data-suggestion]")).not_to_have_text("—")
    screenshot(page, "scored")
    assert_fits_the_viewport(page)

    # 5. The questionnaire: the published version reads on a phone, and so does the nested
    #    edit form of a new draft version.
    published = Questionnaire.current(FirmKind.AGENCY)
    assert published is not None
    page.goto(base + f"/admin/admission/questionnaires/inspect/{published.pk}/")
    expect(page.locator("[data-read-only]")).to_be_visible()
    screenshot(page, "questionnaire")
    assert_fits_the_viewport(page)
    page.goto(base + f"/admin/admission/questionnaires/new-version/{published.pk}/")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/admission/questionnaires/edit/\d+/$"))
    expect(page.locator("#id_sections-0-questions-0-options-0-label")).to_be_attached()
    screenshot(page, "draft-version")
    assert_fits_the_viewport(page)
