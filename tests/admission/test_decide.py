"""Deciding an application in the admin: admitting (the firm is created, its admission expires,
the contact person is invited as first manager and lands on /firm/), conditions, rejections,
and the rules a decision must pass."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import Firm, FirmStatus, Invitation, MembershipRole, User
from lms.admission.models import ApplicationStatus, Conclusion, Decision, DecisionState
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

from .decision_helpers import make_application


def decide_url(application) -> str:
    return reverse("admission_decisions:decide", args=[application.pk])


def form(conclusion: str, reasons: str = "资质齐全。", **extra) -> dict:
    data = {
        "conclusion": conclusion,
        "reasons": reasons,
        "ban_category": "",
        "valid_until": "",
        "override_reason": "",
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "20",
    }
    data.update(extra)
    return data


def test_admitting_creates_the_firm_with_its_expiry_and_invites_the_contact_as_first_manager(
    client, admission_reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    application = make_application(1)
    signed_in(client, admission_reviewer)
    page = client.get(decide_url(application))
    assert page.status_code == 200
    assert "记录决定" in page.content.decode()  # the form's button

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(application), form(Conclusion.ADMITTED))
    assert response.status_code == 302

    application.refresh_from_db()
    firm = Firm.objects.get(credit_code=application.credit_code)
    decision = Decision.objects.get(application=application)
    assert application.status == ApplicationStatus.ADMITTED
    assert application.firm == firm
    assert firm.status == FirmStatus.ADMITTED
    assert firm.admission_expires_on == timezone.localdate() + timedelta(days=365)
    assert decision.state == DecisionState.EFFECTIVE
    assert decision.valid_until == firm.admission_expires_on
    assert decision.status_change.to_status == FirmStatus.ADMITTED
    assert decision.status_change.decided_by == admission_reviewer
    assert decision.score is not None and decision.section_scores

    invitation = Invitation.objects.get(firm=firm)
    assert invitation.email == application.contact_email
    assert invitation.role == MembershipRole.MANAGER
    recipients = [(m.to, m.subject) for m in mailoutbox]
    assert len(recipients) == 2  # the outcome and the invitation
    outcome = next(m for m in mailoutbox if invitation.token not in m.body)
    assert application.contact_email in outcome.to
    assert admission_reviewer.legal_name not in outcome.body  # no reviewer names

    # The contact person follows the invitation, chooses a password and lands on /firm/.
    client.logout()
    link = reverse("staff:invitation", args=[invitation.token])
    invitation_mail = next(m for m in mailoutbox if invitation.token in m.body)
    assert "管理其员工" in invitation_mail.body  # the manager's invitation, not a collector's
    response = client.post(
        link,
        {"password1": "Sunny-Days-2026!", "password2": "Sunny-Days-2026!", "legal_name": "联系人1"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:roster") == "/firm/"
    contact = User.objects.get(email=application.contact_email)
    assert firm.active_members().get(user=contact).role == MembershipRole.MANAGER
    assert client.get("/firm/").status_code == 200


def test_a_date_of_expiry_can_be_chosen_and_must_lie_ahead(client, admission_reviewer):
    application = make_application(2)
    signed_in(client, admission_reviewer)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(decide_url(application), form(Conclusion.ADMITTED, valid_until=past))
    assert response.status_code == 200
    assert not Decision.objects.exists()
    ahead = timezone.localdate() + timedelta(days=200)
    client.post(decide_url(application), form(Conclusion.ADMITTED, valid_until=ahead.isoformat()))
    assert Firm.objects.get(credit_code=application.credit_code).admission_expires_on == ahead


def test_admitting_needs_a_complete_score_and_keeps_what_was_typed(client, admission_reviewer):
    application = make_application(3, judgement=None)
    signed_in(client, admission_reviewer)
    response = client.post(decide_url(application), form(Conclusion.ADMITTED, "我写的理由"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "我写的理由" in html
    assert "准入前请为每道评判题打分。" in html
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert not Decision.objects.exists()
    assert not Firm.objects.filter(credit_code=application.credit_code).exists()


def test_reasons_are_required(client, admission_reviewer):
    application = make_application(4)
    signed_in(client, admission_reviewer)
    response = client.post(decide_url(application), form(Conclusion.REJECTED, "   "))
    assert response.status_code == 200
    assert not Decision.objects.exists()


def test_admitting_with_conditions_needs_conditions_due_after_today_and_they_can_be_met(
    client, admission_reviewer, second_admission_reviewer
):
    application = make_application(5)
    signed_in(client, admission_reviewer)
    response = client.post(decide_url(application), form(Conclusion.CONDITIONAL))
    assert response.status_code == 200 and not Decision.objects.exists()

    today = timezone.localdate()
    response = client.post(
        decide_url(application),
        form(
            Conclusion.CONDITIONAL,
            **{"conditions-0-text": "补交录音设备清单", "conditions-0-due_on": today.isoformat()},
        ),
    )
    assert response.status_code == 200 and not Decision.objects.exists()
    assert "补交录音设备清单" in response.content.decode()

    # A date without a text is refused too.
    response = client.post(
        decide_url(application),
        form(Conclusion.CONDITIONAL, **{"conditions-1-due_on": "2099-01-01"}),
    )
    assert response.status_code == 200 and not Decision.objects.exists()

    due = today + timedelta(days=30)
    response = client.post(
        decide_url(application),
        form(
            Conclusion.CONDITIONAL,
            **{"conditions-0-text": "补交录音设备清单", "conditions-0-due_on": due.isoformat()},
        ),
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CONDITIONAL
    firm = Firm.objects.get(credit_code=application.credit_code)
    assert firm.status == FirmStatus.ADMITTED
    condition = Decision.objects.get().conditions.get()
    assert (condition.text, condition.due_on, condition.met_on) == ("补交录音设备清单", due, None)

    panel = client.get(decide_url(application)).content.decode()
    met_url = reverse("admission_decisions:condition_met", args=[condition.pk])
    assert met_url in panel
    # Meeting it later than today is refused; today (empty) is taken.
    response = client.post(met_url, {"met_on": (today + timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    condition.refresh_from_db()
    assert condition.met_on is None
    response = client.post(met_url, {"met_on": "", "note": "已收到清单"})
    assert response.status_code == 302
    condition.refresh_from_db()
    assert (condition.met_on, condition.met_by, condition.note) == (
        today,
        admission_reviewer,
        "已收到清单",
    )
    # Twice: the page says it is done, and a post is refused.
    assert client.post(met_url, {"met_on": ""}).status_code == 403


def test_an_admission_cannot_have_conditions_and_a_rejection_no_category(
    client, admission_reviewer
):
    application = make_application(6)
    signed_in(client, admission_reviewer)
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    client.post(
        decide_url(application),
        form(Conclusion.ADMITTED, **{"conditions-0-text": "x", "conditions-0-due_on": due}),
    )
    client.post(decide_url(application), form(Conclusion.REJECTED, ban_category="fraud"))
    assert not Decision.objects.exists()


def test_a_rejected_first_application_changes_no_firm(
    client, admission_reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    application = make_application(7)
    signed_in(client, admission_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(application), form(Conclusion.REJECTED, "无录音能力。"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert not Firm.objects.filter(credit_code=application.credit_code).exists()
    assert not Invitation.objects.exists()
    assert [m.to for m in mailoutbox] == [[application.contact_email]]
    assert "未通过" in mailoutbox[0].body
    assert "无录音能力。" not in mailoutbox[0].body  # the reasons are internal


def test_a_rejected_reassessment_suspends_the_firm(client, admission_reviewer):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    application = make_application(8, firm=firm)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.REJECTED, "认证率过低。"))
    firm.refresh_from_db()
    assert firm.status == FirmStatus.SUSPENDED
    assert Decision.objects.get().status_change.to_status == FirmStatus.SUSPENDED
    assert not Invitation.objects.exists()


def test_an_admitted_reassessment_renews_the_expiry_and_invites_nobody(client, admission_reviewer):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER)
    application = make_application(9, firm=firm)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.ADMITTED))
    firm.refresh_from_db()
    assert firm.admission_expires_on == timezone.localdate() + timedelta(days=365)
    assert not Invitation.objects.exists()


def test_a_contact_person_working_for_another_firm_cannot_be_admitted_as_manager(
    client, admission_reviewer
):
    elsewhere = MembershipFactory(firm=FirmFactory())
    application = make_application(10, contact_email=elsewhere.user.email)
    signed_in(client, admission_reviewer)
    response = client.post(decide_url(application), form(Conclusion.ADMITTED))
    assert response.status_code == 200
    assert elsewhere.user.email in response.content.decode()
    assert not Decision.objects.exists()
    assert not Firm.objects.filter(credit_code=application.credit_code).exists()


def test_only_submitted_applications_or_under_review_can_be_decided(client, admission_reviewer):
    draft = make_application(11, status=ApplicationStatus.DRAFT)
    submitted = make_application(12, status=ApplicationStatus.SUBMITTED)
    signed_in(client, admission_reviewer)
    assert client.post(decide_url(draft), form(Conclusion.REJECTED)).status_code == 302
    assert not Decision.objects.filter(application=draft).exists()
    client.post(decide_url(submitted), form(Conclusion.REJECTED))
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.REJECTED
    assert submitted.reviewer == admission_reviewer
    # Decided: a second decision is refused.
    client.post(decide_url(submitted), form(Conclusion.ADMITTED))
    assert Decision.objects.filter(application=submitted).count() == 1
