"""Firm status changes and memberships reach the audit log from the paths people use: the
admin's "Change status", the invitation page, the manager's "mark as left", the admin's
membership screens. One event per change, none when the change is refused or rolled back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import Firm, FirmStatus, Invitation, Membership, MembershipRole
from lms.accounts.onboarding import invitations, memberships
from lms.auditlog.models import AuditEvent, EventFirm, EventPerson
from tests.auditlog.helpers import events_of, one_event
from tests.conftest import PASSWORD, signed_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sunny-Collector-2026"


@pytest.fixture
def admin_client(client, admin_user):
    return signed_in(client, admin_user)


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def manager_client(client, manager, firm):
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    client.force_login(manager)
    return client


# --- Firm status --------------------------------------------------------------------------------


def test_changing_a_firms_status_in_the_admin_writes_one_event(admin_client, admin_user, firm):
    url = reverse("accounts_firms:change_status", args=[firm.pk])
    response = admin_client.post(
        url, {"status": FirmStatus.SUSPENDED, "reason": "两名催收员违规。"}
    )
    assert response.status_code == 302

    change = firm.status_changes.get()
    event = one_event(
        "firm.status_changed",
        subject_type="accounts.firm",
        subject_id=str(firm.pk),
        subject_label="阳光催收有限公司",
        actor_kind="user",
        actor_id=str(admin_user.pk),
    )
    assert event.firms == [{"id": firm.pk, "code": firm.credit_code}]
    assert event.payload == {
        "change": change.pk,
        "from": "admitted",
        "to": "suspended",
        "decided_by": admin_user.pk,
        "confirmed_by": None,
        "category": "",
    }
    assert event.personal["reason"] == "两名催收员违规。"  # free text: never in the payload
    assert "两名催收员违规。" not in str(event.payload)
    assert list(EventFirm.objects.filter(event=event).values_list("firm_id", flat=True)) == [
        firm.pk
    ]
    assert event.request_id  # the admin request's id


def test_a_refused_status_change_writes_nothing(admin_client, firm):
    url = reverse("accounts_firms:change_status", args=[firm.pk])
    # No reason; then a ban, which is not one person's decision.
    assert (
        admin_client.post(url, {"status": FirmStatus.SUSPENDED, "reason": " "}).status_code == 200
    )
    admin_client.post(url, {"status": FirmStatus.BANNED, "reason": "暴力催收"})
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED
    assert events_of("firm.status_changed") == []


def test_a_status_change_rolled_back_leaves_no_event(firm, admin_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        firm.change_status(FirmStatus.SUSPENDED, by=admin_user, reason="稍后回滚")
        raise RuntimeError("the caller's transaction fails after the change")
    assert Firm.objects.get(pk=firm.pk).status == FirmStatus.ADMITTED
    assert AuditEvent.objects.count() == 0


# --- Memberships start ------------------------------------------------------------------------


def test_a_new_invitee_joining_from_the_link_starts_one_membership_event(client, firm, manager):
    invitation = invitations.invite(firm, email="new.person@example.com", by=manager)
    assert events_of("membership.started") == []  # an invitation is not a membership

    path = reverse("staff:invitation", args=[invitation.token])
    response = client.post(
        path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "legal_name": "新同事"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.person@example.com")
    event = one_event(
        "membership.started",
        subject_type="accounts.membership",
        subject_id=str(membership.pk),
        actor_kind="user",
        actor_id=str(membership.user_id),  # the person who accepted
        persons=[membership.user_id],
    )
    assert event.firms == [{"id": firm.pk, "code": firm.credit_code}]
    assert event.payload == {
        "membership": membership.pk,
        "user": membership.user_id,
        "firm": firm.pk,
        "role": "collector",
        "active_from": timezone.localdate().isoformat(),
        "active_to": None,
        "via": "invitation",
        "invitation": invitation.pk,
    }
    assert "新同事" not in str(event.payload) and "新同事" in str(event.personal)
    assert list(EventPerson.objects.filter(event=event).values_list("person_id", flat=True)) == [
        membership.user_id
    ]


def test_an_existing_user_accepting_writes_one_event_and_a_refusal_none(
    client, firm, manager, other_collector, collector
):
    invitation = invitations.invite(
        firm, email=other_collector.email, by=manager, employee_number="A-7"
    )
    path = reverse("staff:invitation", args=[invitation.token])
    # Someone else signed in may not accept it.
    client.force_login(collector)
    assert client.post(path).status_code == 403
    assert events_of("membership.started") == []

    client.logout()
    client.post("/accounts/login/", {"login": other_collector.email, "password": PASSWORD})
    assert client.post(path).status_code == 302
    event = one_event("membership.started", actor_id=str(other_collector.pk))
    assert event.personal["employee_number"] == "A-7"
    assert "A-7" not in str(event.payload)


def test_the_admin_moving_someone_ends_one_membership_and_starts_another(
    admin_client, admin_user, collector
):
    old_firm, new_firm = FirmFactory(name="甲公司"), FirmFactory(name="乙公司")
    old = MembershipFactory(firm=old_firm, user=collector)
    today = timezone.localdate()
    response = admin_client.post(
        reverse("accounts_memberships:add"),
        {
            "user": collector.pk,
            "firm": new_firm.pk,
            "role": MembershipRole.COLLECTOR,
            "employee_number": "Y-01",
            "active_from": today.isoformat(),
        },
    )
    assert response.status_code == 302
    new = Membership.objects.get(user=collector, active_to=None)
    ended = one_event("membership.ended", subject_id=str(old.pk), actor_id=str(admin_user.pk))
    assert ended.payload["active_to"] == (today - timedelta(days=1)).isoformat()
    assert ended.payload["via"] == "move" and ended.payload["moved_to_firm"] == new_firm.pk
    assert ended.firms == [{"id": old_firm.pk, "code": old_firm.credit_code}]
    started = one_event("membership.started", subject_id=str(new.pk), actor_id=str(admin_user.pk))
    assert started.payload["via"] == "move" and started.payload["moved_from"] == old.pk
    assert started.firms == [{"id": new_firm.pk, "code": new_firm.credit_code}]
    assert ended.seq < started.seq and started.persons == ended.persons == [collector.pk]


def test_the_admin_adding_someone_to_the_same_firm_again_writes_nothing(admin_client, collector):
    firm = FirmFactory()
    MembershipFactory(firm=firm, user=collector)
    response = admin_client.post(
        reverse("accounts_memberships:add"),
        {
            "user": collector.pk,
            "firm": firm.pk,
            "role": MembershipRole.COLLECTOR,
            "employee_number": "",
            "active_from": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200  # "already a member"
    assert AuditEvent.objects.count() == 0


# --- Memberships end ----------------------------------------------------------------------------


def test_a_manager_marking_a_collector_as_left_writes_one_event(manager_client, manager, firm):
    member = MembershipFactory(firm=firm, employee_number="C-1")
    last_day = timezone.localdate() - timedelta(days=2)
    url = reverse("staff:end_membership", args=[member.pk])
    response = manager_client.post(url, {"left_on": last_day.isoformat()})
    assert response.status_code == 302
    event = one_event(
        "membership.ended",
        subject_type="accounts.membership",
        subject_id=str(member.pk),
        actor_id=str(manager.pk),
        persons=[member.user_id],
    )
    assert event.payload["active_to"] == last_day.isoformat()
    assert event.payload["via"] == "left"
    assert event.firms == [{"id": firm.pk, "code": firm.credit_code}]


def test_marking_as_left_before_the_start_writes_nothing(manager_client, firm):
    member = MembershipFactory(firm=firm)
    too_early = member.active_from - timedelta(days=1)
    response = manager_client.post(
        reverse("staff:end_membership", args=[member.pk]), {"left_on": too_early.isoformat()}
    )
    assert response.status_code == 400
    assert AuditEvent.objects.count() == 0


def test_ending_twice_is_refused_and_writes_one_event(firm, manager):
    member = MembershipFactory(firm=firm)
    stale = Membership.objects.get(pk=member.pk)  # another tab's copy, still open
    memberships.end(member, by=manager)
    with pytest.raises(ValidationError) as refused:
        memberships.end(stale, by=manager)
    assert refused.value.code == "already_ended"
    one_event("membership.ended", subject_id=str(member.pk))


def test_the_admin_editing_the_end_date_ends_or_reopens_and_numbers_alone_write_nothing(
    admin_client, admin_user, firm
):
    member = MembershipFactory(firm=firm, employee_number="N-1")
    url = reverse("accounts_memberships:edit", args=[member.pk])
    last_day = timezone.localdate() - timedelta(days=1)

    # Only the employee number: no start or end.
    response = admin_client.post(url, {"employee_number": "N-2", "active_to": ""})
    assert response.status_code == 302
    assert Membership.objects.get(pk=member.pk).employee_number == "N-2"
    assert AuditEvent.objects.count() == 0

    response = admin_client.post(url, {"employee_number": "N-2", "active_to": last_day})
    assert response.status_code == 302
    ended = one_event("membership.ended", actor_id=str(admin_user.pk))
    assert ended.payload["via"] == "admin"
    assert ended.payload["active_to"] == last_day.isoformat()
    assert ended.payload["previous_active_to"] is None

    response = admin_client.post(url, {"employee_number": "N-2", "active_to": ""})
    assert response.status_code == 302
    assert Membership.objects.get(pk=member.pk).active_to is None
    reopened = one_event("membership.started", actor_id=str(admin_user.pk))
    assert reopened.payload["via"] == "reopened"
    assert reopened.payload["previous_active_to"] == last_day.isoformat()


def test_the_admin_ending_before_the_start_writes_nothing(admin_client, firm):
    member = MembershipFactory(firm=firm)
    url = reverse("accounts_memberships:edit", args=[member.pk])
    too_early = member.active_from - timedelta(days=3)
    response = admin_client.post(url, {"employee_number": "", "active_to": too_early})
    assert response.status_code == 200
    assert AuditEvent.objects.count() == 0


def test_an_imported_person_gets_a_membership_event_when_they_accept_not_before(
    manager_client, firm, client
):
    """An import invites (the membership starts with the person's consent): no event until the
    invitee accepts, then exactly one."""
    data = "姓名,邮箱\n钱七,qian.qi@example.com\n".encode()
    response = manager_client.post(
        reverse("staff:import"), {"file": SimpleUploadedFile("staff.csv", data)}
    )
    assert response.status_code == 302
    preview_url = response["Location"]
    preview = manager_client.get(preview_url)
    digest = preview.context["form"].initial["digest"]
    assert manager_client.post(preview_url, {"digest": digest}).status_code == 302
    invitation = Invitation.objects.get(email="qian.qi@example.com", firm=firm)
    assert AuditEvent.objects.count() == 0

    manager_client.logout()
    path = reverse("staff:invitation", args=[invitation.token])
    response = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    event = one_event("membership.started")
    assert event.payload["via"] == "invitation" and event.payload["invitation"] == invitation.pk


def test_deleting_a_members_account_in_the_admin_records_the_membership_ending(
    admin_client, admin_user, firm, collector
):
    member = MembershipFactory(firm=firm, user=collector)
    old = MembershipFactory(
        firm=FirmFactory(),
        user=collector,
        active_from=member.active_from - timedelta(days=100),
        active_to=member.active_from - timedelta(days=1),
    )
    response = admin_client.post(reverse("wagtailusers_users:delete", args=[collector.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk__in=[member.pk, old.pk]).exists()
    event = one_event(
        "membership.ended",
        subject_id=str(member.pk),  # the open one; the ended one has its end already
        actor_id=str(admin_user.pk),
        persons=[collector.pk],
    )
    assert event.payload["via"] == "account_deleted"
    assert event.payload["active_to"] == timezone.localdate().isoformat()
