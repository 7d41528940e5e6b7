"""The event page's sessions block and the register / cancel / ICS views, through HTTP."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from content.attendance import registration as service
from content.models import ChangeVia, EventSession, Registration, RegistrationState
from tests.factories import UserFactory, make_session

from .attendance_helpers import fill, firm_with_manager, staff

S = RegistrationState


def msg(text: str) -> str:
    """``text`` as the person reads it (the active language), for matching."""
    return gettext(text)


pytestmark = pytest.mark.django_db


def register_url(session) -> str:
    return reverse("event_registration:register", args=[session.pk])


def cancel_url(registration) -> str:
    return reverse("event_registration:cancel", args=[registration.pk])


def test_a_collector_registers_from_the_event_page(
    client, collector, django_capture_on_commit_callbacks
):
    session = make_session(capacity=3)
    client.force_login(collector)

    page = client.get(session.page.url)
    assert register_url(session) in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(register_url(session), follow=True)

    registration = Registration.objects.get(user=collector)
    assert registration.state == S.BOOKED
    assert response.redirect_chain[0][0].endswith(f"#session-{session.pk}")
    body = response.content.decode()
    assert 'data-registration-state="booked"' in body
    assert cancel_url(registration) in body
    assert reverse("event_registration:session_ics", args=[session.pk]) in body
    assert len(mail.outbox) == 1


def test_a_full_session_shows_the_waitlist_and_waitlists(client, collector):
    session = make_session(capacity=1)
    fill(session, 1)
    client.force_login(collector)

    page = client.get(session.page.url).content.decode()
    assert 'data-places-left="0"' in page
    assert "已满 — 可加入候补" in page
    client.post(register_url(session))

    assert Registration.objects.get(user=collector).state == S.WAITLISTED
    # Now on the waitlist, the card no longer invites them to join it.
    page = client.get(session.page.url).content.decode()
    assert "已满 — 可加入候补" not in page
    assert "已满" in page


def test_anonymous_visitors_get_a_sign_in_link_back_to_the_page(client):
    session = make_session()

    body = client.get(session.page.url).content.decode()

    assert "data-sign-in" in body
    assert f'?next={session.page.url}"' in body
    response = client.post(register_url(session))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Registration.objects.exists()


def test_registering_is_post_only(client, collector):
    client.force_login(collector)
    assert client.get(register_url(make_session())).status_code == 405


def test_a_closed_window_shows_why_and_refuses(client, collector):
    session = make_session(registration_opens=timezone.now() + datetime.timedelta(days=1))
    client.force_login(collector)

    assert "data-refusal" in client.get(session.page.url).content.decode()
    response = client.post(register_url(session), follow=True)

    assert msg("Registration for this session has not opened yet.") in response.content.decode()
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/events/sessions/abc/register/",
        "/events/sessions/0/register/",
        "/events/sessions/99999999999999999999/register/",
        "/events/registrations/abc/cancel/",
    ],
)
def test_bad_ids_are_404s(client, collector, path):
    client.force_login(collector)
    assert client.post(path).status_code == 404


def test_an_unknown_or_unpublished_session_is_a_404(client, collector):
    session = make_session()
    client.force_login(collector)
    assert (
        client.post(reverse("event_registration:register", args=[session.pk + 100])).status_code
        == 404
    )
    session.page.unpublish()
    assert client.post(register_url(session)).status_code == 404
    assert (
        client.get(reverse("event_registration:session_ics", args=[session.pk])).status_code == 404
    )


def started_session_with_a_freed_place(**fields):
    """A session under way whose registration is still open (it closes an hour after the
    start), full once, then a place freed by a cancellation that promoted nobody (the
    session had started) while someone waits."""
    now = timezone.now()
    session = make_session(
        start=now - datetime.timedelta(minutes=30),
        capacity=1,
        registration_closes=now + datetime.timedelta(minutes=30),
        **fields,
    )
    (holder,) = fill(session, 1)
    waiting = UserFactory()
    waiting_reg = service.register(session, waiting, actor=waiting)
    assert waiting_reg.state == S.WAITLISTED
    service.cancel(holder, actor=holder.user)
    waiting_reg.refresh_from_db()
    assert waiting_reg.state == S.WAITLISTED  # not promoted: the session has started
    return session, waiting_reg


def test_a_late_registrant_does_not_jump_the_waitlist_after_the_start(client, collector):
    session, waiting = started_session_with_a_freed_place()
    client.force_login(collector)

    page = client.get(session.page.url).content.decode()
    assert 'data-places-left="0"' in page
    assert msg("Full — join the waitlist") in page
    client.post(register_url(session))

    mine = Registration.objects.get(user=collector)
    waiting.refresh_from_db()
    assert (mine.state, waiting.state) == (S.WAITLISTED, S.WAITLISTED)
    assert service.places_left(session) == 1  # the freed place stays free: nobody jumps


def test_a_manager_cannot_book_staff_into_a_place_the_waitlist_is_owed(client):
    session, waiting = started_session_with_a_freed_place()
    firm, manager = firm_with_manager()
    (person,) = staff(firm)
    client.force_login(manager)

    page = client.get(reverse("firm_events:session", args=[session.pk])).content.decode()
    client.post(reverse("firm_events:session", args=[session.pk]), {"user": [person.pk]})

    none_left = ngettext("%(counter)s place left", "%(counter)s places left", 0) % {"counter": 0}
    assert none_left in page
    assert Registration.objects.get(user=person).state == S.WAITLISTED
    waiting.refresh_from_db()
    assert waiting.state == S.WAITLISTED


def test_an_approval_after_the_start_joins_the_waitlist_behind_those_waiting(client):
    firm, manager = firm_with_manager()
    (person,) = staff(firm)
    session, waiting = started_session_with_a_freed_place(requires_approval=True)
    request = service.register(session, person, actor=person)
    assert request.state == S.REQUESTED
    client.force_login(manager)

    client.post(reverse("firm_events:approve", args=[request.pk]))

    request.refresh_from_db()
    assert request.state == S.WAITLISTED


def test_the_owner_cancels_their_place(client, collector):
    session = make_session()
    registration = service.register(session, collector, actor=collector)
    client.force_login(collector)

    client.post(cancel_url(registration))

    registration.refresh_from_db()
    assert registration.state == S.CANCELLED
    assert registration.changes.last().via == ChangeVia.SELF


def test_someone_else_cannot_cancel_a_registration(client, collector, other_collector):
    session = make_session()
    registration = service.register(session, collector, actor=collector)
    client.force_login(other_collector)

    assert client.post(cancel_url(registration)).status_code == 404
    registration.refresh_from_db()
    assert registration.state == S.BOOKED


def test_their_firm_manager_cancels_but_another_firms_manager_cannot(client):
    firm, manager = firm_with_manager()
    _, other_manager = firm_with_manager()
    (person,) = staff(firm)
    session = make_session()
    registration = service.register(session, person, actor=person)

    client.force_login(other_manager)
    assert client.post(cancel_url(registration)).status_code == 404
    client.force_login(manager)
    client.post(cancel_url(registration))

    registration.refresh_from_db()
    assert registration.state == S.CANCELLED
    assert registration.changes.last().via == ChangeVia.MANAGER
    assert registration.changes.last().actor == manager


def too_long() -> str:
    """Django's own message for a reason over 500 characters, as the form words it."""
    from content.attendance.views import ReasonForm

    return ReasonForm({"reason": "太" * 501}).errors["reason"][0]


@pytest.mark.parametrize(
    ("reason", "problem"),
    [
        ("迟到\x00", lambda: msg("Null characters are not allowed.")),
        ("太" * 501, too_long),
    ],
)
def test_a_reason_forms_refuse_is_refused_and_nothing_changes(client, collector, reason, problem):
    """A NUL (PostgreSQL cannot store it: a 500 before) or an overlong reason is refused with
    the form's message, and the registration stays as it was."""
    session = make_session()
    registration = service.register(session, collector, actor=collector)
    client.force_login(collector)

    response = client.post(cancel_url(registration), {"reason": reason}, follow=True)

    assert response.status_code == 200
    expected = msg("Reason: %(error)s") % {"error": problem()}
    assert expected in response.content.decode()
    registration.refresh_from_db()
    assert registration.state == S.BOOKED
    assert registration.changes.count() == 1


def test_a_cancellation_keeps_its_reason(client, collector):
    registration = service.register(make_session(), collector, actor=collector)
    client.force_login(collector)

    client.post(cancel_url(registration), {"reason": "  临时出差  "})

    assert registration.changes.last().reason == "临时出差"


def test_cancel_redirects_only_to_our_own_addresses(client, collector):
    session = make_session()
    registration = service.register(session, collector, actor=collector)
    client.force_login(collector)

    response = client.post(cancel_url(registration), {"next": "https://evil.example/"})

    assert response["Location"].startswith(session.page.url)


def test_the_session_ics_has_the_sessions_own_time_and_place(client):
    start = datetime.datetime(2030, 3, 2, 14, 0, tzinfo=datetime.UTC)
    session = make_session(start=start, title="下午场", venue="阳光大厦 5 楼")

    response = client.get(reverse("event_registration:session_ics", args=[session.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert "DTSTART;TZID=Asia/Shanghai:20300302T220000" in body
    assert f"UID:event-{session.page.pk}-session-{session.pk}@" in body
    assert "LOCATION:阳光大厦 5 楼" in body
    assert "下午场" in body


def test_a_booked_attendee_sees_the_check_in_link_only_while_check_in_is_open(client, collector):
    session = make_session()
    service.register(session, collector, actor=collector)
    client.force_login(collector)
    assert "data-checkin-link" not in client.get(session.page.url).content.decode()

    session.checkin_opened_at = timezone.now()
    session.save()
    body = client.get(session.page.url).content.decode()

    try:
        checkin = reverse("event_checkin:code", args=[session.pk])
    except Exception:  # noqa: BLE001 - the check-in URL is another branch's
        assert "data-checkin-link" not in body
    else:
        assert checkin in body


def test_attended_registrations_show_the_hours_credited(client, collector):
    session = make_session(hours=3)
    registration = service.register(session, collector, actor=collector)
    registration.change_state(S.ATTENDED, via=ChangeVia.TRAINER)
    client.force_login(collector)

    body = client.get(session.page.url).content.decode()

    assert 'data-registration-state="attended"' in body
    # As the ledger on My learning shows hours: "3", not "3.00".
    assert msg("%(hours)s CPD hours credited") % {"hours": "3"} in body
    assert "3.00" not in body
    assert "data-cancel" not in body


def test_the_event_page_renders_for_a_phone_without_sessions(client):
    from tests.content.test_events import make_event, make_index

    page = make_event(make_index(), "无场次的沙龙", timezone.now() + datetime.timedelta(days=3))
    body = client.get(page.url).content.decode()
    assert "data-sessions" not in body


def test_a_preview_with_a_new_unsaved_session_renders_without_actions(rf, collector):
    session = make_session()
    page = session.page
    new = EventSession(
        start=session.start, end=session.end, capacity=5, venue="新场地", title="加场"
    )
    page.sessions = [session, new]  # in memory, as the editor's preview holds them
    request = rf.get(page.url)
    request.user = collector

    rows = service.session_rows(page, collector)

    assert len(rows) == 2
    assert [row.can_register for row in rows] == [True, False]  # the new one has no id yet
    response = page.make_preview_request(request)
    assert response.status_code == 200
    assert "加场" in response.content.decode()
