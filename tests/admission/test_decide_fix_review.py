"""Review fixes of the decisions: what the outcome email carries (no reasons, no override
text) and to whom, the bounds of an admission (threshold, validity, condition dates), the
decision URLs (reviewers first, bounded ids), and the firm's one-person status changes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import Firm, FirmStatus, MembershipRole
from lms.accounts.roles import Role
from lms.admission.models import Conclusion, Decision, DecisionState
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

from .decision_helpers import make_application

pytestmark = pytest.mark.django_db


def decide_url(application) -> str:
    return reverse("admission_decisions:decide", args=[application.pk])


def form(conclusion: str, reasons: str = "内部理由：经理张某曾被投诉。", **extra) -> dict:
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


def english(user):
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return user


# --- The outcome email -----------------------------------------------------------------------


def test_the_outcome_email_carries_conclusion_validity_and_conditions_but_no_reasons(
    client, admission_reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    application = make_application(301)
    due = timezone.localdate() + timedelta(days=30)
    signed_in(client, admission_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decide_url(application),
            form(
                Conclusion.CONDITIONAL,
                **{"conditions-0-text": "提交录音设备清单", "conditions-0-due_on": due.isoformat()},
            ),
        )
    assert response.status_code == 302
    decision = Decision.objects.get()
    outcome = next(m for m in mailoutbox if application.contact_email in m.to and "清单" in m.body)
    assert "内部理由" not in outcome.body and "张某" not in outcome.body
    assert str(due.year) in outcome.body and str(decision.valid_until.year) in outcome.body
    assert "提交录音设备清单" in outcome.body
    assert admission_reviewer.legal_name not in outcome.body


def test_an_overridden_blocker_keeps_its_reason_apart_shows_it_to_reviewers_not_the_applicant(
    client,
    admission_reviewer,
    second_admission_reviewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    application = make_application(302, blocker=True)
    signed_in(client, admission_reviewer)
    client.post(
        decide_url(application),
        form(
            Conclusion.ADMITTED, override_blocker="on", override_reason="处罚已被法院撤销（李某案）"
        ),
    )
    decision = Decision.objects.get()
    assert decision.state == DecisionState.PROPOSED
    assert decision.override_reason == "处罚已被法院撤销（李某案）"
    assert decision.reasons == "内部理由：经理张某曾被投诉。"
    assert "处罚已被法院撤销（李某案）" in client.get(decide_url(application)).content.decode()

    client.logout()
    signed_in(client, second_admission_reviewer)
    confirm = reverse("admission_decisions:confirm", args=[decision.pk])
    assert "处罚已被法院撤销（李某案）" in client.get(confirm).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm)
    outcome = next(m for m in mailoutbox if application.contact_email in m.to)
    assert "李某" not in outcome.body and "张某" not in outcome.body


def test_a_reassessment_outcome_goes_to_the_firms_active_managers_not_the_copied_contact(
    client, admission_reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    manager = MembershipFactory(firm=firm, role=MembershipRole.MANAGER).user
    former = MembershipFactory(
        firm=firm,
        role=MembershipRole.MANAGER,
        active_from=timezone.localdate() - timedelta(days=400),
        active_to=timezone.localdate() - timedelta(days=1),
    ).user
    for user in (manager, former):
        user.groups.add(Group.objects.get(name=Role.FIRM_MANAGER))
    application = make_application(303, firm=firm, contact_email="old-contact@example.com")
    signed_in(client, admission_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(application), form(Conclusion.ADMITTED))
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [manager.email]
    assert "内部理由" not in mailoutbox[0].body


# --- The bounds of an admission ----------------------------------------------------------------


def test_admitting_below_the_conditional_score_is_refused_naming_score_and_threshold(
    client, admission_reviewer
):
    application = make_application(304, judgement=Decimal(0))
    application.questionnaire.conditional_score = Decimal(99)
    application.questionnaire.admit_score = Decimal(99.5)
    application.questionnaire.save(update_fields=["conditional_score", "admit_score"])
    signed_in(client, english(admission_reviewer))
    for conclusion in (Conclusion.ADMITTED, Conclusion.CONDITIONAL):
        extra = {}
        if conclusion == Conclusion.CONDITIONAL:
            extra = {
                "conditions-0-text": "整改",
                "conditions-0-due_on": (timezone.localdate() + timedelta(days=9)).isoformat(),
            }
        response = client.post(decide_url(application), form(conclusion, **extra))
        assert response.status_code == 200
        html = response.content.decode()
        assert "is below the threshold for admission (99.00)" in html
        assert "reject the application instead" in html
    assert not Decision.objects.exists()
    response = client.post(decide_url(application), form(Conclusion.REJECTED))
    assert response.status_code == 302


def test_an_admission_is_valid_at_most_the_questionnaires_validity(client, admission_reviewer):
    application = make_application(305)
    days = application.questionnaire.validity_days
    latest = timezone.localdate() + timedelta(days=days)
    signed_in(client, english(admission_reviewer))
    response = client.post(
        decide_url(application),
        form(Conclusion.ADMITTED, valid_until=(latest + timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 200
    assert f"An admission is valid for at most {days} days" in response.content.decode()
    assert not Decision.objects.exists()
    response = client.post(
        decide_url(application), form(Conclusion.ADMITTED, valid_until=latest.isoformat())
    )
    assert response.status_code == 302
    assert Decision.objects.get().valid_until == latest


def test_each_condition_is_due_by_the_end_of_the_admission(client, admission_reviewer):
    application = make_application(306)
    valid_until = timezone.localdate() + timedelta(days=60)
    signed_in(client, english(admission_reviewer))
    data = form(
        Conclusion.CONDITIONAL,
        valid_until=valid_until.isoformat(),
        **{
            "conditions-0-text": "提交清单",
            "conditions-0-due_on": (valid_until + timedelta(days=1)).isoformat(),
        },
    )
    response = client.post(decide_url(application), data)
    assert response.status_code == 200
    assert "Each condition must be due by the end of the admission" in response.content.decode()
    assert 'value="提交清单"' in response.content.decode()  # what was typed is kept
    assert not Decision.objects.exists()
    data["conditions-0-due_on"] = valid_until.isoformat()
    assert client.post(decide_url(application), data).status_code == 302


# --- The decision URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["auditor", "reviewer", "trainer"])
def test_non_reviewers_get_the_same_403_whether_the_object_exists_or_not(
    client, request, persona, admission_reviewer
):
    application = make_application(307, blocker=True)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.BANNED, ban_category="violent_collection"))
    decision = Decision.objects.get()
    client.logout()
    signed_in(client, request.getfixturevalue(persona))
    missing = 10**12
    for name, present in (
        ("decide", application.pk),
        ("confirm", decision.pk),
        ("decline", decision.pk),
        ("condition_met", 1),
    ):
        for pk in (present, missing):
            response = client.get(reverse(f"admission_decisions:{name}", args=[pk]))
            assert response.status_code in {302, 403}, (name, pk)
            other = client.get(reverse(f"admission_decisions:{name}", args=[missing]))
            assert response.status_code == other.status_code, (name, pk)


def test_an_id_beyond_bigint_is_a_404_for_a_reviewer(client, admission_reviewer):
    signed_in(client, admission_reviewer)
    for route in ("application/{}/", "{}/confirm/", "{}/decline/", "conditions/{}/met/"):
        url = "/admin/admission/decisions/" + route.format(2**63)
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("admission_decisions:decide", args=[10**12])).status_code == 404


# --- The firm's one-person status changes ------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    return signed_in(client, english(admin_user))


def change(admin_client, firm, status: str):
    return admin_client.post(
        reverse("accounts_firms:change_status", args=[firm.pk]),
        {"status": status, "reason": "经复核。"},
    )


def test_change_status_never_admits_a_pending_firm(admin_client):
    firm = FirmFactory(status=FirmStatus.PENDING)
    page = admin_client.get(reverse("accounts_firms:change_status", args=[firm.pk]))
    assert "is admitted (or not) by an admission decision" in page.content.decode()
    assert change(admin_client, firm, FirmStatus.ADMITTED).status_code == 403
    firm.refresh_from_db()
    assert firm.status == FirmStatus.PENDING and not firm.status_changes.exists()


def test_change_status_never_touches_a_banned_firm(admin_client):
    firm = FirmFactory(status=FirmStatus.BANNED)
    for status in (FirmStatus.ADMITTED, FirmStatus.PENDING, FirmStatus.SUSPENDED):
        assert change(admin_client, firm, status).status_code == 403
    firm.refresh_from_db()
    assert firm.status == FirmStatus.BANNED and not firm.status_changes.exists()


def test_change_status_suspends_and_returns_to_pending_but_never_bans(admin_client):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    page = admin_client.get(reverse("accounts_firms:change_status", args=[firm.pk])).content
    assert b'value="banned"' not in page and b'value="suspended"' in page
    assert change(admin_client, firm, FirmStatus.BANNED).status_code == 200
    assert change(admin_client, firm, FirmStatus.SUSPENDED).status_code == 302
    firm.refresh_from_db()
    assert firm.status == FirmStatus.SUSPENDED
    assert change(admin_client, firm, FirmStatus.PENDING).status_code == 302
    firm.refresh_from_db()
    assert firm.status == FirmStatus.PENDING


def test_a_suspension_is_lifted_only_while_the_admission_is_unexpired(admin_client):
    today = timezone.localdate()
    firm = FirmFactory(status=FirmStatus.SUSPENDED, admission_expires_on=today)
    assert change(admin_client, firm, FirmStatus.ADMITTED).status_code == 302
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED and firm.admission_expires_on == today

    for expires in (today - timedelta(days=1), None):
        lapsed = FirmFactory(status=FirmStatus.SUSPENDED, admission_expires_on=expires)
        page = admin_client.get(reverse("accounts_firms:change_status", args=[lapsed.pk]))
        assert b'value="admitted"' not in page.content
        assert change(admin_client, lapsed, FirmStatus.ADMITTED).status_code == 200
        lapsed.refresh_from_db()
        assert lapsed.status == FirmStatus.SUSPENDED


def test_the_credit_code_is_read_only_once_the_firm_has_left_pending(admin_client):
    pending = FirmFactory(status=FirmStatus.PENDING)
    banned = FirmFactory(status=FirmStatus.BANNED)
    new_code = FirmFactory.build().credit_code
    for firm, editable in ((pending, True), (banned, False)):
        url = reverse("accounts_firms:edit", args=[firm.pk])
        html = admin_client.get(url).content.decode()
        assert ("Read-only once the firm has left pending review" in html) is not editable
        old = firm.credit_code
        response = admin_client.post(
            url, {"name": "改名公司", "credit_code": new_code, "kind": firm.kind}
        )
        assert response.status_code == 302
        firm.refresh_from_db()
        assert firm.name == "改名公司"
        assert firm.credit_code == (new_code if editable else old)
        if editable:
            Firm.objects.filter(pk=firm.pk).update(credit_code=old)
