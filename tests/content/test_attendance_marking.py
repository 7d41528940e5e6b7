"""The trainer marks attendance by hand and closes sessions (admin forms and the services in
content.attendance.marking): a reason is required, partial hours are bounded, corrections
follow the transitions, only trainers may do it, and closing sets no-shows once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from content.attendance import marking
from content.models import ChangeVia, RegistrationState
from content.signals import attendance_changed, session_closed
from tests.conftest import signed_in
from tests.content.checkin_support import (
    english,  # noqa: F401  (a fixture)
    live_session,
    receiving,
    register,
)

# English messages: the checkin_support.english fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = RegistrationState


@pytest.fixture
def session():
    return live_session()  # 3 hours long: 3 CPD hours for full attendance


@pytest.fixture
def trainer_client(client, trainer):
    return signed_in(client, trainer)


def mark_url(registration) -> str:
    return reverse("attendance_sessions:mark", args=[registration.pk])


def close_url(session) -> str:
    return reverse("attendance_sessions:close_session", args=[session.pk])


# --- Marking by hand ---------------------------------------------------------------------------


def test_the_trainer_marks_someone_attended_with_a_reason(
    trainer_client, trainer, session, collector
):
    registration = register(session, collector)
    assertContains(trainer_client.get(mark_url(registration)), 'name="reason"')
    with receiving(attendance_changed) as sent:
        response = trainer_client.post(
            mark_url(registration), {"state": S.ATTENDED, "reason": "手机无法扫码"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance_sessions:inspect", args=[session.pk])
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED
    change = registration.changes.last()
    assert (change.via, change.actor, change.reason) == (ChangeVia.TRAINER, trainer, "手机无法扫码")
    assert len(sent) == 1


def test_marking_by_hand_needs_a_reason(trainer_client, session, collector):
    registration = register(session, collector)
    response = trainer_client.post(mark_url(registration), {"state": S.ATTENDED, "reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    registration.refresh_from_db()
    assert registration.state == S.BOOKED
    with pytest.raises(marking.AttendanceRefused):
        marking.mark_attendance(registration, S.ATTENDED, actor=None, reason="")


def test_partly_attended_records_the_hours(trainer_client, session, collector):
    registration = register(session, collector)
    response = trainer_client.post(
        mark_url(registration),
        {"state": S.PARTLY_ATTENDED, "hours": "1.5", "reason": "中途离场"},
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.state == S.PARTLY_ATTENDED
    assert registration.attended_hours == Decimal("1.50")
    assert registration.credited_hours == Decimal("1.50")
    assert registration.changes.last().hours == Decimal("1.50")


@pytest.mark.parametrize("hours", ["", "0", "-1", "3.01", "abc"])
def test_partial_hours_must_be_more_than_0_and_at_most_the_sessions(
    trainer_client, session, collector, hours
):
    registration = register(session, collector)
    response = trainer_client.post(
        mark_url(registration), {"state": S.PARTLY_ATTENDED, "hours": hours, "reason": "早退"}
    )
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.state == S.BOOKED


def test_the_whole_session_is_allowed_as_partial_hours(session, collector, trainer):
    registration = register(session, collector)
    marking.mark_attendance(
        registration, S.PARTLY_ATTENDED, actor=trainer, reason="x", hours=Decimal("3")
    )
    registration.refresh_from_db()
    assert registration.attended_hours == Decimal("3.00")


def test_a_no_show_who_did_come_is_corrected(trainer_client, session, collector):
    registration = register(session, collector, S.NO_SHOW)
    response = trainer_client.post(
        mark_url(registration), {"state": S.ATTENDED, "reason": "签到表上有签名"}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED
    assert [c.to_state for c in registration.changes.all()] == [S.BOOKED, S.NO_SHOW, S.ATTENDED]


def test_marking_the_state_it_already_has_is_refused(trainer_client, session, collector):
    registration = register(session, collector, S.ATTENDED)
    response = trainer_client.post(mark_url(registration), {"state": S.ATTENDED, "reason": "再次"})
    assertContains(response, "already marked")
    assert registration.changes.count() == 2


def test_a_cancelled_registration_cannot_be_marked_no_show(trainer_client, session, collector):
    registration = register(session, collector, S.CANCELLED)
    response = trainer_client.post(mark_url(registration), {"state": S.NO_SHOW, "reason": "缺席"})
    assertContains(response, "cannot be marked")
    registration.refresh_from_db()
    assert registration.state == S.CANCELLED


@pytest.mark.parametrize("persona", ["collector", "manager", "other_collector"])
def test_people_outside_the_admin_cannot_mark(client, request, session, collector, persona):
    registration = register(session, collector)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(mark_url(registration), {"state": S.ATTENDED, "reason": "x"})
    assert response.status_code in (302, 403)
    registration.refresh_from_db()
    assert registration.state == S.BOOKED


@pytest.mark.parametrize("persona", ["reviewer", "auditor"])
def test_staff_without_the_trainers_permission_get_403(
    client, request, session, collector, persona
):
    registration = register(session, collector)
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(mark_url(registration)).status_code == 403
    response = client.post(mark_url(registration), {"state": S.ATTENDED, "reason": "x"})
    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.state == S.BOOKED


def test_a_superuser_may_mark(client, admin_user, session, collector):
    registration = register(session, collector)
    signed_in(client, admin_user)
    response = client.post(mark_url(registration), {"state": S.NO_SHOW, "reason": "未到场"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.state == S.NO_SHOW


# --- Closing -----------------------------------------------------------------------------------


def test_closing_sets_no_shows_and_cancels_the_waiting(
    trainer_client, trainer, session, collector, other_collector, manager, reviewer
):
    booked = register(session, collector)
    attended = register(session, other_collector, S.ATTENDED)
    waiting = register(session, manager, S.WAITLISTED)
    requested = register(session, reviewer, S.REQUESTED)
    assertContains(trainer_client.get(close_url(session)), "1 booked people")
    with receiving(session_closed) as sent:
        response = trainer_client.post(close_url(session))
    assert response.status_code == 302
    for registration, state in [
        (booked, S.NO_SHOW),
        (attended, S.ATTENDED),
        (waiting, S.CANCELLED),
        (requested, S.CANCELLED),
    ]:
        registration.refresh_from_db()
        assert registration.state == state
    assert booked.changes.last().via == ChangeVia.CLOSING
    session.refresh_from_db()
    assert session.closed_at is not None and session.closed_by == trainer
    assert len(sent) == 1
    assert sent[0]["session"].pk == session.pk and sent[0]["actor"] == trainer


def test_closing_twice_is_refused_cleanly(trainer_client, trainer, session, collector):
    register(session, collector)
    trainer_client.post(close_url(session))
    with receiving(session_closed) as sent:
        response = trainer_client.post(close_url(session))
    assertContains(response, "already closed")
    assert sent == []
    with pytest.raises(marking.AttendanceRefused):
        marking.close_session(session, actor=trainer)


def test_a_session_cannot_be_closed_before_it_starts(trainer, collector):
    session = live_session(start=timezone.now() + datetime.timedelta(days=1))
    register(session, collector)
    with pytest.raises(marking.AttendanceRefused, match="not started"):
        marking.close_session(session, actor=trainer)


def test_attendance_can_be_corrected_after_closing(trainer_client, session, collector):
    registration = register(session, collector)
    trainer_client.post(close_url(session))
    response = trainer_client.post(
        mark_url(registration), {"state": S.ATTENDED, "reason": "签到系统故障"}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED


def test_a_reviewer_cannot_close_a_session(client, reviewer, session, collector):
    register(session, collector)
    signed_in(client, reviewer)
    assert client.post(close_url(session)).status_code == 403
    session.refresh_from_db()
    assert session.closed_at is None


# --- Opening check-in --------------------------------------------------------------------------


def test_opening_check_in_leads_to_the_screen(trainer_client, trainer):
    session = live_session(open_checkin=False)
    url = reverse("attendance_sessions:open_checkin", args=[session.pk])
    response = trainer_client.post(url)
    assert response["Location"] == reverse("attendance_sessions:screen", args=[session.pk])
    session.refresh_from_db()
    assert session.checkin_opened_at is not None and session.checkin_opened_by == trainer


def test_a_closed_session_cannot_be_reopened(trainer):
    session = live_session()
    marking.close_session(session, actor=trainer)
    with pytest.raises(marking.AttendanceRefused):
        marking.open_checkin(session, actor=trainer)
