"""An agency applies for admission on a 360 px phone, in Chinese, and is admitted.

It starts an application, fills in part of the basics and uploads the business licence, saves
the draft, comes back by the link it was emailed (in a new browser session), answers the
questionnaire with evidence, submits, and sees the status. An admission reviewer, on a phone
too, signs in (password and code), lands on the applications, starts the review, scores the
judgement questions and admits the agency; the contact person follows the invitation that
sends and lands on the firm dashboard as its first manager. Screenshots go to
``var/screenshots/test_applicant_journey_on_a_phone/``.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Browser, expect

from lms.accounts.models import Firm, FirmStatus, Invitation, MembershipRole
from lms.accounts.roles import Role
from lms.admission.models import Application, ApplicationStatus, Question
from tests import upload_samples as samples
from tests.admission.apply_helpers import link_in
from tests.admission.review_fixtures import judgement_questions
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.factories import credit_code

from .conftest import DEFAULT_TIMEOUT_MS, assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FIRM = "深圳市前海明镜资产管理服务有限公司"


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": samples.PDF}


def test_applicant_journey_on_a_phone(live_server, phone_page, browser: Browser, screenshot):
    page, base = phone_page, live_server.url
    code = credit_code(777001)

    # Start: kind, name, code, contact. The draft opens at its secret link.
    page.goto(base + "/firms/apply/")
    expect(page.locator("h1")).to_contain_text("申请")
    assert_fits_the_viewport(page)
    screenshot(page, "start")
    page.locator("input[name=firm_kind][value=agency]").check()
    page.fill("#id_firm_name", FIRM)
    page.fill("#id_credit_code", code.lower())
    page.fill("#id_contact_name", "林申请")
    page.fill("#id_contact_email", "lin@example.com")
    page.click("form.apply-start button[type=submit]")
    page.wait_for_url(re.compile(r".*/firms/apply/r/[^/]+/$"))
    first_url = page.url
    expect(page.locator(".messages")).to_contain_text("lin@example.com")
    assert_fits_the_viewport(page)

    # Part of the basics and the business licence; save the draft.
    page.fill("#id_basics-legal_representative", "林法人")
    page.set_input_files("#id_licence-file", pdf_file("营业执照.pdf"))
    page.click("button[value=save]")
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("草稿已保存")
    expect(page.locator("#licences")).to_contain_text("营业执照.pdf")
    screenshot(page, "draft-saved")

    # Come back later by the emailed link, in a fresh session.
    (email,) = [m for m in mail.outbox if "lin@example.com" in m.to]
    link = base + link_in(email.body)
    assert link == first_url
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    later = context.new_page()
    try:
        later.goto(link)
        expect(later.locator("#id_basics-legal_representative")).to_have_value("林法人")
        later.fill("#id_basics-registered_address", "深圳市前海深港合作区1号")
        later.fill("#id_basics-registered_capital", "2000")
        later.fill("#id_basics-contact_phone", "13800000000")
        later.locator("input[name=basics-channels][value=phone]").check()
        later.fill("#id_basics-staff_count", "60")
        later.locator("input[name='basics-call_recording'][value=full]").check()
        later.locator("input[name='basics-field_recording'][value=full]").check()
        later.fill("#id_basics-recording_details", "呼叫中心全程录音，执法记录仪30台")
        application = Application.objects.get(credit_code=code)
        questions = Question.objects.filter(
            section__questionnaire=application.questionnaire, kind="choice"
        )
        for question in questions:
            first_option = question.options.order_by("sort_order", "pk").first()
            later.locator(
                f"input[name='answers-q{question.pk}-option'][value='{first_option.pk}']"
            ).check()
            if question.evidence == "required":
                later.set_input_files(
                    f"#id_answers-q{question.pk}-evidence", pdf_file(f"证明{question.pk}.pdf")
                )
        assert_fits_the_viewport(later)
        screenshot(later, "filled-in")
        later.click("button[value=submit]")
        later.wait_for_load_state()
        expect(later.locator(".messages")).to_contain_text("已提交审核")
        expect(later.locator(".apply-facts")).to_contain_text("已提交")
        assert_fits_the_viewport(later)
        screenshot(later, "status")
    finally:
        context.close()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert any("lin@example.com" in m.to and code in m.body for m in mail.outbox)  # receipt

    # A reviewer on a phone: lands on the applications, starts the review, scores, admits.
    reviewer = make_user("wu.review@example.com", "吴敬", Role.ADMISSION_REVIEWER)
    activate_totp(reviewer)
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    log_in(page, reviewer.email, PASSWORD, totp_user=reviewer)
    page.wait_for_url(re.compile(r"/admin/admission/applications/$"))
    page.click(f"a[href='/admin/admission/applications/{application.pk}/']")
    expect(page.locator("[data-licences] a")).to_have_count(1)  # the uploaded licence
    page.click("[data-start-review]")
    expect(page.locator("[data-score-form]")).to_be_visible()
    for question in judgement_questions(application):
        page.fill(f"#id_score_{question.pk}", "90")
        page.fill(f"#id_note_{question.pk}", "核查属实")
    page.click("[data-score-form] button[type=submit]")
    expect(page.locator("[data-total]")).not_to_have_text("—")
    screenshot(page, "reviewer-scored")
    assert_fits_the_viewport(page)
    decide = reverse("admission_decisions:decide", args=[application.pk])
    page.click(f"a[href='{decide}']")  # the decision panel's "Decide"
    page.wait_for_url(base + decide)
    form = "form:has(textarea[name=reasons])"
    page.check(f"{form} input[name=conclusion][value=admitted]")
    page.fill(f"{form} textarea[name=reasons]", "资质齐全，录音能力完备，准予准入。")
    screenshot(page, "reviewer-admits")
    assert_fits_the_viewport(page)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    firm = Firm.objects.get(credit_code=code)
    assert (firm.name, firm.status) == (FIRM, FirmStatus.ADMITTED)
    assert firm.admission_expires_on is not None

    # The contact person follows the invitation and lands on the firm dashboard.
    invitation = Invitation.objects.get(firm=firm)
    assert invitation.email == "lin@example.com" and invitation.role == MembershipRole.MANAGER
    (invited,) = [m for m in mail.outbox if invitation.token in m.body]
    assert "lin@example.com" in invited.to
    page.context.clear_cookies()
    page.goto(base + reverse("staff:invitation", args=[invitation.token]))
    page.fill("#id_password1", "Sunny-Days-2026!")
    page.fill("#id_password2", "Sunny-Days-2026!")
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/firm/")
    expect(page.locator("main")).to_contain_text(FIRM)
    screenshot(page, "first-manager-dashboard")
    assert_fits_the_viewport(page)
    membership = firm.active_members().get()
    assert (membership.user.email, membership.role) == ("lin@example.com", MembershipRole.MANAGER)
