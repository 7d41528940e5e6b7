"""Registration services: every transition they make, kept as history, and the waitlist."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext

from content import tasks
from content.attendance import registration as service
from content.models import ChangeVia, Registration, RegistrationChange, RegistrationState
from tests.factories import UserFactory, make_session

from .attendance_helpers import fill, firm_with_manager, staff

S = RegistrationState


def msg(text: str) -> str:
    """``text`` as the person reads it (the active language), for matching."""
    return gettext(text)


pytestmark = pytest.mark.django_db


def history(registration: Registration) -> list[tuple[str, str, str]]:
    return list(registration.changes.values_list("from_state", "to_state", "via"))


def test_a_free_place_books_and_writes_the_first_history_row(collector):
    session = make_session(capacity=2)

    registration = service.register(session, collector, actor=collector)

    assert registration.state == S.BOOKED
    assert history(registration) == [("", S.BOOKED, ChangeVia.SELF)]
    assert registration.changes.get().actor == collector


def test_a_full_session_waitlists(collector):
    session = make_session(capacity=1)
    fill(session, 1)

    registration = service.register(session, collector, actor=collector)

    assert registration.state == S.WAITLISTED


def test_registering_twice_is_refused(collector):
    session = make_session()
    service.register(session, collector, actor=collector)

    with pytest.raises(
        service.RegistrationError, match=msg("You are already registered for this session.")
    ):
        service.register(session, collector, actor=collector)
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"registration_opens": "future"}, "Registration for this session has not opened yet."),
        ({"registration_closes": "past"}, "Registration for this session has closed."),
        ({"closed_at": "past"}, "This session is closed."),
    ],
)
def test_registration_outside_its_window_is_refused(collector, fields, message):
    now = timezone.now()
    values = {"future": now + datetime.timedelta(days=1), "past": now - datetime.timedelta(hours=1)}
    session = make_session(**{key: values[value] for key, value in fields.items()})

    with pytest.raises(service.RegistrationError, match=re.escape(msg(message))):
        service.register(session, collector, actor=collector)
    assert not Registration.objects.exists()


def test_a_session_that_has_started_is_closed_for_registration(collector):
    session = make_session(start=timezone.now() - datetime.timedelta(minutes=5))

    with pytest.raises(
        service.RegistrationError, match=msg("Registration for this session has closed.")
    ):
        service.register(session, collector, actor=collector)


def test_an_unpublished_event_refuses_registration(collector):
    session = make_session()
    session.page.unpublish()

    with pytest.raises(
        service.RegistrationError, match=re.escape(msg("This event is not published."))
    ):
        service.register(session, collector, actor=collector)


def test_a_collector_needing_approval_waits_for_it():
    firm, _ = firm_with_manager()
    (person,) = staff(firm)
    session = make_session(requires_approval=True)

    registration = service.register(session, person, actor=person)

    assert registration.state == S.REQUESTED
    assert registration.firm == firm


def test_someone_without_a_firm_needs_no_approval(collector):
    session = make_session(requires_approval=True)

    assert service.register(session, collector, actor=collector).state == S.BOOKED


def test_a_cancelled_registration_can_register_again_on_the_same_row(collector):
    session = make_session()
    first = service.register(session, collector, actor=collector)
    service.cancel(first, actor=collector, reason="plans changed")

    again = service.register(session, collector, actor=collector)

    assert again.pk == first.pk
    assert again.state == S.BOOKED
    assert history(again) == [
        ("", S.BOOKED, ChangeVia.SELF),
        (S.BOOKED, S.CANCELLED, ChangeVia.SELF),
        (S.CANCELLED, S.BOOKED, ChangeVia.SELF),
    ]
    assert again.changes.all()[1].reason == "plans changed"


def test_history_rows_are_never_overwritten(collector):
    session = make_session()
    registration = service.register(session, collector, actor=collector)
    row = registration.changes.get()

    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()


def test_cancelling_a_place_promotes_the_first_waitlisted_with_an_email(
    collector, django_capture_on_commit_callbacks
):
    session = make_session(capacity=1)
    booked = service.register(session, collector, actor=collector)
    first, second = UserFactory(), UserFactory()
    waiting_first = service.register(session, first, actor=first)
    waiting_second = service.register(session, second, actor=second)
    assert {waiting_first.state, waiting_second.state} == {S.WAITLISTED}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        service.cancel(booked, actor=collector)

    waiting_first.refresh_from_db()
    waiting_second.refresh_from_db()
    assert waiting_first.state == S.BOOKED
    assert waiting_second.state == S.WAITLISTED
    assert waiting_first.changes.last().via == ChangeVia.PROMOTION
    assert [m.to for m in mail.outbox] == [[first.email]]
    promotion = mail.outbox[0]
    assert any(name.endswith(".ics") for name, *_ in promotion.attachments)


def test_a_promotion_email_is_not_sent_to_someone_who_cancelled_before_it_went_out(
    collector, django_capture_on_commit_callbacks
):
    session = make_session(capacity=1)
    holder = service.register(session, collector, actor=collector)
    other = UserFactory()
    waiting = service.register(session, other, actor=other)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as queued:
        service.cancel(holder, actor=collector)  # promotes the waiting person: email queued
    waiting.refresh_from_db()
    assert waiting.state == S.BOOKED
    service.cancel(waiting, actor=other)  # they leave before the worker sends it
    for callback in queued:
        callback()

    assert mail.outbox == []


@pytest.mark.parametrize(
    ("kind", "stale_state"),
    [
        ("booked", S.CANCELLED),
        ("promoted", S.CANCELLED),
        ("reminder", S.CANCELLED),
        ("approved", S.CANCELLED),
        ("waitlisted", S.BOOKED),
        ("declined", S.BOOKED),
    ],
)
def test_an_email_whose_state_has_passed_is_not_sent(kind, stale_state):
    session = make_session()
    person = UserFactory()
    first = S.CANCELLED if stale_state == S.BOOKED else S.BOOKED
    registration = Registration(session=session, user=person, registered_by=person)
    registration.change_state(first, via=ChangeVia.SELF, actor=person)
    registration.change_state(stale_state, via=ChangeVia.SELF, actor=person)

    assert tasks.send_registration_email(registration.pk, kind) is False
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        ("booked", S.BOOKED),
        ("promoted", S.BOOKED),
        ("reminder", S.BOOKED),
        ("approved", S.BOOKED),
        ("approved", S.WAITLISTED),
        ("waitlisted", S.WAITLISTED),
        ("declined", S.CANCELLED),
    ],
)
def test_an_email_still_true_is_sent(kind, state):
    session = make_session()
    person = UserFactory()
    registration = Registration(session=session, user=person, registered_by=person)
    registration.change_state(state, via=ChangeVia.SELF, actor=person)

    assert tasks.send_registration_email(registration.pk, kind) is True
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_no_reminder_for_a_session_closed_since():
    session = make_session()
    person = UserFactory()
    registration = service.register(session, person, actor=person)
    session.closed_at = timezone.now()
    session.save(update_fields=["closed_at"])
    mail.outbox.clear()

    assert tasks.send_registration_email(registration.pk, "reminder") is False
    assert mail.outbox == []


def test_fifo_follows_when_people_joined_the_waitlist_not_when_they_first_registered():
    session = make_session(capacity=1)
    (holder,) = fill(session, 1)
    early, late = UserFactory(), UserFactory()
    early_reg = service.register(session, early, actor=early)  # waitlisted first
    service.cancel(early_reg, actor=early)
    late_reg = service.register(session, late, actor=late)  # waitlisted now
    early_reg = service.register(session, early, actor=early)  # waitlisted again, after late

    service.cancel(holder, actor=holder.user)

    late_reg.refresh_from_db()
    early_reg.refresh_from_db()
    assert (late_reg.state, early_reg.state) == (S.BOOKED, S.WAITLISTED)


def test_cancelling_a_waitlisted_registration_promotes_nobody(collector):
    session = make_session(capacity=1)
    fill(session, 1)
    waiting = service.register(session, collector, actor=collector)
    other = UserFactory()
    behind = service.register(session, other, actor=other)

    service.cancel(waiting, actor=collector)

    behind.refresh_from_db()
    assert behind.state == S.WAITLISTED


def test_cancelling_twice_is_refused(collector):
    session = make_session()
    registration = service.register(session, collector, actor=collector)
    service.cancel(registration, actor=collector)

    with pytest.raises(
        service.RegistrationError, match=msg("This registration cannot be cancelled any more.")
    ):
        service.cancel(registration, actor=collector)
    assert registration.changes.count() == 2


def test_booking_emails_a_confirmation_with_the_calendar_entry(
    collector, django_capture_on_commit_callbacks
):
    session = make_session()

    with django_capture_on_commit_callbacks(execute=True):
        service.register(session, collector, actor=collector)

    (message,) = mail.outbox
    assert message.to == [collector.email]
    assert session.page.title in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert name == f"session-{session.pk}.ics"
    assert mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in content


def test_a_manager_approves_into_a_place_or_the_waitlist(django_capture_on_commit_callbacks):
    firm, manager = firm_with_manager()
    first, second = staff(firm, 2)
    session = make_session(capacity=1, requires_approval=True)
    one = service.register(session, first, actor=first)
    two = service.register(session, second, actor=second)

    with django_capture_on_commit_callbacks(execute=True):
        service.approve(one, manager=manager)
        service.approve(two, manager=manager)

    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.state, two.state) == (S.BOOKED, S.WAITLISTED)
    assert history(one)[-1] == (S.REQUESTED, S.BOOKED, ChangeVia.APPROVAL)
    assert one.changes.last().actor == manager
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, second.email])


def test_a_manager_declines_with_a_reason(django_capture_on_commit_callbacks):
    firm, manager = firm_with_manager()
    (person,) = staff(firm)
    session = make_session(requires_approval=True)
    request = service.register(session, person, actor=person)

    with django_capture_on_commit_callbacks(execute=True):
        service.decline(request, manager=manager, reason="客户拜访冲突")

    request.refresh_from_db()
    assert request.state == S.CANCELLED
    assert request.changes.last().reason == "客户拜访冲突"
    assert "客户拜访冲突" in mail.outbox[0].body
    with pytest.raises(service.RegistrationError):
        service.approve(request, manager=manager)


def test_a_manager_of_another_firm_cannot_answer_a_request():
    firm, _ = firm_with_manager()
    _, other_manager = firm_with_manager()
    (person,) = staff(firm)
    session = make_session(requires_approval=True)
    request = service.register(session, person, actor=person)

    with pytest.raises(PermissionDenied):
        service.approve(request, manager=other_manager)
    with pytest.raises(PermissionDenied):
        service.decline(request, manager=other_manager)
    request.refresh_from_db()
    assert request.state == S.REQUESTED


def test_bulk_registration_books_own_staff_and_refuses_others():
    firm, manager = firm_with_manager()
    mine = staff(firm, 3)
    other_firm, _ = firm_with_manager()
    (theirs,) = staff(other_firm)
    session = make_session(capacity=2, requires_approval=True)

    outcomes = service.bulk_register(session, [*mine, theirs], manager=manager)

    states = [o.registration.state if o.registration else o.error for o in outcomes]
    assert states[:3] == [S.BOOKED, S.BOOKED, S.WAITLISTED]  # a manager's booking needs no approval
    assert msg("Not an active collector of your firm.") in states[3]
    assert not Registration.objects.filter(user=theirs).exists()
    assert all(
        change.via == ChangeVia.MANAGER and change.actor == manager
        for change in RegistrationChange.objects.all()
    )


def test_bulk_registration_reports_people_already_registered():
    firm, manager = firm_with_manager()
    (person,) = staff(firm)
    session = make_session()
    service.register(session, person, actor=person)

    (outcome,) = service.bulk_register(session, [person], manager=manager)

    assert outcome.registration is None
    assert msg("You are already registered for this session.") in outcome.error


def test_only_managers_bulk_register(collector):
    with pytest.raises(PermissionDenied):
        service.bulk_register(make_session(), [collector], manager=collector)


def test_publishing_more_places_promotes_the_waitlist_in_order(
    collector, django_capture_on_commit_callbacks
):
    session = make_session(capacity=1)
    service.register(session, collector, actor=collector)
    first, second = UserFactory(), UserFactory()
    waiting_first = service.register(session, first, actor=first)
    waiting_second = service.register(session, second, actor=second)
    mail.outbox.clear()

    # The trainer raises the capacity to 2 and publishes the event page.
    session.capacity = 2
    session.save(update_fields=["capacity"])
    with django_capture_on_commit_callbacks(execute=True):
        session.page.specific.save_revision().publish()

    waiting_first.refresh_from_db()
    waiting_second.refresh_from_db()
    assert (waiting_first.state, waiting_second.state) == (S.BOOKED, S.WAITLISTED)
    assert waiting_first.changes.last().via == ChangeVia.PROMOTION
    assert [m.to for m in mail.outbox] == [[first.email]]
