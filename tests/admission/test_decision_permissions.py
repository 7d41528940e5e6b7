"""Who may see and use the decision screens: admission reviewers without a conflict of
interest; nobody else (other staff, firm managers of any firm, collectors, anonymous)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lms.accounts.models import BanCategory, FirmStatus, MembershipRole
from lms.admission.models import ApplicationStatus, Conclusion, Decision
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

from .decision_helpers import make_application
from .test_decide import decide_url, form


@pytest.mark.parametrize("persona", ["auditor", "trainer", "reviewer"])
def test_other_staff_cannot_decide(db, client, request, persona):
    application = make_application(30)
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(decide_url(application)).status_code in {302, 403}
    response = client.post(decide_url(application), form(Conclusion.REJECTED))
    assert response.status_code in {302, 403}
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


@pytest.mark.parametrize("persona", ["manager", "collector"])
def test_firm_people_get_no_admin_at_all(db, client, request, persona):
    application = make_application(31)
    person = request.getfixturevalue(persona)
    MembershipFactory(firm=FirmFactory(), user=person, role=MembershipRole.MANAGER)
    client.force_login(person)
    response = client.get(decide_url(application))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("admission_ban_list:index")).status_code == 302


def test_anonymous_is_sent_to_sign_in(db, client):
    application = make_application(32)
    response = client.get(decide_url(application))
    assert response.status_code == 302
    assert not Decision.objects.exists()


def test_a_reviewer_cannot_decide_an_application_of_their_own_firm(client, admission_reviewer):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    MembershipFactory(firm=firm, user=admission_reviewer)
    application = make_application(33, firm=firm)
    signed_in(client, admission_reviewer)
    page = client.get(decide_url(application)).content.decode()
    assert "您在该机构任职。" in page
    assert 'name="conclusion"' not in page
    response = client.post(decide_url(application), form(Conclusion.ADMITTED))
    assert response.status_code == 403
    assert not Decision.objects.exists()


def test_a_reviewer_named_as_contact_or_who_entered_it_cannot_decide(client, admission_reviewer):
    as_contact = make_application(34, contact_email=admission_reviewer.email)
    entered = make_application(35)
    entered.created_by = admission_reviewer
    entered.save(update_fields=["created_by"])
    signed_in(client, admission_reviewer)
    for application in (as_contact, entered):
        assert client.post(decide_url(application), form(Conclusion.REJECTED)).status_code == 403
    assert not Decision.objects.exists()


def test_a_manager_of_another_firm_cannot_see_the_ban_list_or_a_decision(
    client, admission_reviewer, second_admission_reviewer, manager
):
    application = make_application(36)
    signed_in(client, admission_reviewer)
    client.post(decide_url(application), form(Conclusion.BANNED, ban_category=BanCategory.FRAUD))
    decision = Decision.objects.get()
    MembershipFactory(firm=FirmFactory(), user=manager, role=MembershipRole.MANAGER)
    client.logout()
    client.force_login(manager)
    for url in (
        reverse("admission_decisions:confirm", args=[decision.pk]),
        reverse("admission_decisions:decline", args=[decision.pk]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 302
    decision.refresh_from_db()
    assert decision.state == "proposed"


def test_unknown_objects_are_not_found(client, admission_reviewer):
    signed_in(client, admission_reviewer)
    assert client.get(reverse("admission_decisions:decide", args=[999])).status_code == 404
    assert client.get(reverse("admission_decisions:confirm", args=[999])).status_code == 404
    assert client.get(reverse("admission_decisions:condition_met", args=[999])).status_code == 404
