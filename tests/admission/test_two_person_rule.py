"""The two-person rule: a ban, or an admission despite a blocker answer, is only proposed until
another reviewer without a conflict confirms it; declining sends the application back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lms.accounts.models import BanCategory, Firm, FirmStatus, TwoPersonRuleError
from lms.admission.models import ApplicationStatus, Conclusion, Decision, DecisionState
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

from .decision_helpers import make_application
from .test_decide import decide_url, form


def confirm_url(decision) -> str:
    return reverse("admission_decisions:confirm", args=[decision.pk])


def decline_url(decision) -> str:
    return reverse("admission_decisions:decline", args=[decision.pk])


def test_a_ban_is_proposed_then_confirmed_by_another_reviewer(
    client,
    admission_reviewer,
    second_admission_reviewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    application = make_application(20, blocker=True)
    signed_in(client, admission_reviewer)
    # No category: refused.
    response = client.post(decide_url(application), form(Conclusion.BANNED, "暴力催收。"))
    assert response.status_code == 200 and not Decision.objects.exists()

    response = client.post(
        decide_url(application),
        form(Conclusion.BANNED, "暴力催收。", ban_category=BanCategory.VIOLENT_COLLECTION),
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    application.refresh_from_db()
    assert decision.state == DecisionState.PROPOSED
    assert application.status == ApplicationStatus.AWAITING_CONFIRMATION
    assert not Firm.objects.filter(credit_code=application.credit_code).exists()

    # The proposer may not confirm: the page says why, a post is refused.
    page = client.get(confirm_url(decision))
    assert page.status_code == 200
    assert "您提出的决定须由另一名审核员确认或驳回。" in page.content.decode()
    assert client.post(confirm_url(decision)).status_code == 403
    assert client.post(decline_url(decision), {"reason": "自己撤回"}).status_code == 403
    decision.refresh_from_db()
    assert decision.state == DecisionState.PROPOSED
    # The panel shows no Confirm button to the proposer.
    assert confirm_url(decision) not in client.get(decide_url(application)).content.decode()

    client.logout()
    signed_in(client, second_admission_reviewer)
    assert confirm_url(decision) in client.get(decide_url(application)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(decision))
    assert response.status_code == 302
    decision.refresh_from_db()
    application.refresh_from_db()
    firm = Firm.objects.get(credit_code=application.credit_code)
    assert decision.state == DecisionState.EFFECTIVE
    assert decision.confirmed_by == second_admission_reviewer
    assert application.status == ApplicationStatus.BANNED
    assert firm.status == FirmStatus.BANNED
    change = decision.status_change
    assert (change.decided_by, change.confirmed_by, change.category) == (
        admission_reviewer,
        second_admission_reviewer,
        BanCategory.VIOLENT_COLLECTION,
    )
    assert firm.admission_expires_on is None
    assert [m.to for m in mailoutbox] == [[application.contact_email]]  # no invitation


def test_admitting_despite_a_blocker_needs_an_override_with_a_reason_and_a_second_reviewer(
    client, admission_reviewer, second_admission_reviewer
):
    application = make_application(21, blocker=True)
    signed_in(client, admission_reviewer)
    response = client.post(decide_url(application), form(Conclusion.ADMITTED))
    assert response.status_code == 200 and not Decision.objects.exists()
    response = client.post(
        decide_url(application), form(Conclusion.ADMITTED, override_blocker="on")
    )
    assert response.status_code == 200 and not Decision.objects.exists()

    response = client.post(
        decide_url(application),
        form(
            Conclusion.ADMITTED, override_blocker="on", override_reason="处罚已撤销，有法院判决。"
        ),
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.overrides_blocker and decision.state == DecisionState.PROPOSED
    assert decision.override_reason == "处罚已撤销，有法院判决。"
    assert "处罚已撤销" not in decision.reasons  # internal: kept apart from the reasons
    assert not Firm.objects.filter(credit_code=application.credit_code).exists()

    client.logout()
    signed_in(client, second_admission_reviewer)
    client.post(confirm_url(decision))
    firm = Firm.objects.get(credit_code=application.credit_code)
    assert firm.status == FirmStatus.ADMITTED
    assert decision.__class__.objects.get().confirmed_by == second_admission_reviewer


def test_an_override_without_a_blocker_or_on_a_rejection_is_refused(client, admission_reviewer):
    clean = make_application(22)
    signed_in(client, admission_reviewer)
    client.post(
        decide_url(clean),
        form(Conclusion.REJECTED, override_blocker="on", override_reason="无"),
    )
    assert not Decision.objects.exists()


def test_the_second_reviewer_can_decline_with_a_reason_and_the_review_goes_on(
    client, admission_reviewer, second_admission_reviewer
):
    application = make_application(23)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.BANNED, ban_category=BanCategory.FRAUD))
    decision = Decision.objects.get()
    client.logout()
    signed_in(client, second_admission_reviewer)
    response = client.post(decline_url(decision), {"reason": "  "})
    assert response.status_code == 200
    decision.refresh_from_db()
    assert decision.state == DecisionState.PROPOSED

    response = client.post(decline_url(decision), {"reason": "证据不足，只是一次投诉。"})
    assert response.status_code == 302
    decision.refresh_from_db()
    application.refresh_from_db()
    assert decision.state == DecisionState.DECLINED
    assert decision.declined_reason == "证据不足，只是一次投诉。"
    assert decision.confirmed_by == second_admission_reviewer
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert not Firm.objects.filter(credit_code=application.credit_code).exists()
    # Confirming a declined decision is refused; the application can be decided again.
    assert client.post(confirm_url(decision)).status_code == 403
    client.post(decide_url(application), form(Conclusion.REJECTED, "证据不足。"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert "证据不足，只是一次投诉。" in client.get(decide_url(application)).content.decode()


def test_a_second_reviewer_with_a_conflict_cannot_confirm(
    client, admission_reviewer, second_admission_reviewer
):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    application = make_application(24, firm=firm)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.BANNED, ban_category=BanCategory.FRAUD))
    decision = Decision.objects.get()
    MembershipFactory(firm=firm, user=second_admission_reviewer)
    client.logout()
    signed_in(client, second_admission_reviewer)
    response = client.post(confirm_url(decision))
    assert response.status_code == 403
    assert "您在该机构任职。" in response.content.decode()
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED


def test_a_ban_through_change_status_alone_is_refused(admission_reviewer):
    firm = FirmFactory()
    with pytest.raises(TwoPersonRuleError):
        firm.change_status(
            FirmStatus.BANNED,
            by=admission_reviewer,
            reason="一人决定",
            confirmed_by=admission_reviewer,
            category=BanCategory.FRAUD,
        )
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED


def test_the_firm_change_status_action_no_longer_offers_a_ban(client, admin_user):
    admin_client = signed_in(client, admin_user)
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    url = reverse("accounts_firms:change_status", args=[firm.pk])
    page = admin_client.get(url).content.decode()
    assert 'value="banned"' not in page
    assert 'value="suspended"' in page
    response = admin_client.post(url, {"status": FirmStatus.BANNED, "reason": "一人拉黑"})
    assert response.status_code == 200
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED
    assert not firm.status_changes.exists()
