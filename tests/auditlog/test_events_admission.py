"""Admission decisions reach the audit log from the reviewers' admin pages: each step (decided,
proposed, confirmed, declined) is one ``admission.decided`` event, and a decision that changes
the firm has its ``firm.status_changed`` event first, in the same transaction. A decision the
rules refuse (the two-person rule, missing reasons) writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.accounts.models import BanCategory, Firm, FirmStatus, MembershipRole
from lms.admission.models import Conclusion, Decision
from lms.auditlog.models import AuditEvent
from tests.admission.decision_helpers import make_application
from tests.admission.test_decide import decide_url, form
from tests.admission.test_two_person_rule import confirm_url, decline_url
from tests.auditlog.helpers import events_of, one_event
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_admitting_a_first_application_writes_the_firms_status_change_then_the_decision(
    client, admission_reviewer
):
    application = make_application(31)
    signed_in(client, admission_reviewer)
    response = client.post(
        decide_url(application), form(Conclusion.ADMITTED, "资质齐全，联系人张三。")
    )
    assert response.status_code == 302

    firm = Firm.objects.get(credit_code=application.credit_code)
    decision = Decision.objects.get()
    status = one_event(
        "firm.status_changed",
        subject_type="accounts.firm",
        subject_id=str(firm.pk),
        actor_id=str(admission_reviewer.pk),
    )
    assert (status.payload["from"], status.payload["to"]) == ("pending", "admitted")
    assert status.payload["admission_expires_on"] == decision.valid_until.isoformat()
    assert status.payload["change"] == decision.status_change_id

    event = one_event(
        "admission.decided",
        subject_type="admission.decision",
        subject_id=str(decision.pk),
        subject_label=f"{application.credit_code} #{application.pk}",
        actor_kind="user",
        actor_id=str(admission_reviewer.pk),
    )
    assert event.seq == status.seq + 1
    assert event.firms == [{"id": firm.pk, "code": firm.credit_code}]
    assert event.payload == {
        "step": "decided",
        "decision": decision.pk,
        "application": application.pk,
        "review_kind": "initial",
        "credit_code": application.credit_code,
        "conclusion": "admitted",
        "state": "effective",
        "score": str(decision.score),
        "overrides_blocker": False,
        "ban_category": "",
        "valid_until": decision.valid_until.isoformat(),
        "conditions": [],
        "proposed_by": admission_reviewer.pk,
        "proposed_at": event.payload["proposed_at"],
        "confirmed_by": None,
        "status_change": decision.status_change_id,
    }
    # The reasons are free text (here naming a person): personal part only.
    assert event.personal["reasons"] == "资质齐全，联系人张三。"
    assert "张三" not in str(event.payload)
    # The contact person is invited: their membership starts when they accept, not now.
    assert events_of("membership.started") == []


def test_admitting_with_conditions_records_their_dates(client, admission_reviewer):
    application = make_application(32)
    signed_in(client, admission_reviewer)
    due = timezone.localdate() + timedelta(days=30)
    response = client.post(
        decide_url(application),
        form(
            Conclusion.CONDITIONAL,
            **{"conditions-0-text": "补交录音设备清单", "conditions-0-due_on": due.isoformat()},
        ),
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    condition = decision.conditions.get()
    event = one_event("admission.decided")
    assert event.payload["conclusion"] == "conditional"
    assert event.payload["conditions"] == [{"id": condition.pk, "due_on": due.isoformat()}]
    assert event.personal["conditions"] == ["补交录音设备清单"]


def test_rejecting_a_first_application_writes_the_decision_for_no_firm(client, admission_reviewer):
    application = make_application(33)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.REJECTED, "无录音能力。"))
    event = one_event("admission.decided", firms=[])
    assert event.payload["conclusion"] == "rejected"
    assert event.payload["credit_code"] == application.credit_code  # findable without a firm
    assert event.payload["status_change"] is None
    assert events_of("firm.status_changed") == []


def test_rejecting_a_reassessment_suspends_the_firm_and_writes_both(client, admission_reviewer):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER)
    application = make_application(34, firm=firm)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.REJECTED, "认证率过低。"))
    status = one_event("firm.status_changed", subject_id=str(firm.pk))
    assert (status.payload["from"], status.payload["to"]) == ("admitted", "suspended")
    event = one_event("admission.decided")
    assert event.payload["review_kind"] == "reassessment"
    assert event.firms == [{"id": firm.pk, "code": firm.credit_code}]


def test_a_ban_is_proposed_refused_to_its_proposer_then_confirmed(
    client, admission_reviewer, second_admission_reviewer
):
    application = make_application(35, blocker=True)
    signed_in(client, admission_reviewer)
    # No category: refused, nothing written.
    client.post(decide_url(application), form(Conclusion.BANNED, "暴力催收。"))
    assert AuditEvent.objects.count() == 0

    client.post(
        decide_url(application),
        form(Conclusion.BANNED, "暴力催收。", ban_category=BanCategory.VIOLENT_COLLECTION),
    )
    decision = Decision.objects.get()
    proposed = one_event("admission.decided", actor_id=str(admission_reviewer.pk))
    assert proposed.payload["step"] == "proposed"
    assert proposed.payload["state"] == "proposed"
    assert proposed.firms == []  # no firm yet
    assert events_of("firm.status_changed") == []

    # The two-person rule: the proposer's confirmation is refused and writes nothing.
    assert client.post(confirm_url(decision)).status_code == 403
    assert AuditEvent.objects.count() == 1

    client.logout()
    signed_in(client, second_admission_reviewer)
    assert client.post(confirm_url(decision)).status_code == 302
    firm = Firm.objects.get(credit_code=application.credit_code)
    status = one_event("firm.status_changed", actor_id=str(admission_reviewer.pk))
    assert status.payload["to"] == "banned"
    assert status.payload["decided_by"] == admission_reviewer.pk
    assert status.payload["confirmed_by"] == second_admission_reviewer.pk
    assert status.payload["category"] == BanCategory.VIOLENT_COLLECTION
    events = events_of("admission.decided")
    assert len(events) == 2
    confirmed = events[1]
    assert confirmed.actor_id == str(second_admission_reviewer.pk)
    assert confirmed.payload["step"] == "confirmed"
    assert confirmed.payload["state"] == "effective"
    assert confirmed.payload["confirmed_by"] == second_admission_reviewer.pk
    assert confirmed.firms == [{"id": firm.pk, "code": firm.credit_code}]
    assert confirmed.seq == status.seq + 1
    assert AuditEvent.objects.count() == 3
    one_event("firm.status_changed")  # and the chain verifies


def test_declining_writes_one_event_and_a_reasonless_decline_none(
    client, admission_reviewer, second_admission_reviewer
):
    application = make_application(36)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.BANNED, ban_category=BanCategory.FRAUD))
    decision = Decision.objects.get()
    client.logout()
    signed_in(client, second_admission_reviewer)
    assert client.post(decline_url(decision), {"reason": "  "}).status_code == 200
    assert len(events_of("admission.decided")) == 1

    response = client.post(decline_url(decision), {"reason": "证据不足，只是一次投诉。"})
    assert response.status_code == 302
    declined = events_of("admission.decided")[1]
    assert declined.payload["step"] == "declined"
    assert declined.payload["state"] == "declined"
    assert declined.actor_id == str(second_admission_reviewer.pk)
    assert declined.personal["declined_reason"] == "证据不足，只是一次投诉。"
    assert events_of("firm.status_changed") == []


def test_a_decision_without_reasons_writes_nothing(client, admission_reviewer):
    application = make_application(37)
    signed_in(client, admission_reviewer)
    response = client.post(decide_url(application), form(Conclusion.ADMITTED, "  "))
    assert response.status_code == 200
    assert AuditEvent.objects.count() == 0
