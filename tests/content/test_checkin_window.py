"""When check-in is possible: self check-in only from an hour before a session starts until half
an hour after it ends; the trainer cannot open check-in before that, nor mark attendance by
hand before the session starts; and a QR code of an unpublished event checks nobody in.

Regression: check-in had no time limit, so a trainer could open it days early and a booked
collector scanning then was marked attended, with the hours credited, before the session."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from content.attendance import checkin, marking
from content.models import RegistrationState
from courses.models import CPDEntry
from tests.conftest import signed_in
from tests.content.checkin_support import (
    english,  # noqa: F401  (a fixture)
    live_session,
    register,
)

# English messages: the checkin_support.english fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = RegistrationState
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def starting_in(delta: datetime.timedelta, *, open_checkin: bool = True):
    """A 3-hour session starting ``delta`` from now (negative: in the past), check-in opened
    (as it could be before the window existed) unless told otherwise."""
    start = (timezone.now() + delta).replace(microsecond=0)
    session = live_session(start=start, open_checkin=False)
    if open_checkin:
        session.checkin_opened_at = min(start, timezone.now()) - datetime.timedelta(days=3)
        session.save(update_fields=["checkin_opened_at"])
    return session


def scan(client, session):
    return client.get(reverse("event_checkin:scan", args=[checkin.current_code(session).token]))


def type_code(client, session):
    return client.post(
        reverse("event_checkin:code", args=[session.pk]),
        {"code": checkin.current_code(session).digits},
    )


# --- Self check-in -----------------------------------------------------------------------------


@pytest.mark.parametrize("way", [scan, type_code])
def test_a_scan_days_before_the_session_is_refused_with_when_it_opens(client, collector, way):
    session = starting_in(datetime.timedelta(days=3))
    registration = register(session, collector)
    client.force_login(collector)
    response = way(client, session)
    assert response.status_code == 409
    opens = (session.start - datetime.timedelta(minutes=60)).astimezone(BEIJING)
    assertContains(response, f"opens at {opens:%Y-%m-%d %H:%M} (Beijing time)", status_code=409)
    registration.refresh_from_db()
    assert registration.state == S.BOOKED
    assert not CPDEntry.objects.filter(user=collector).exists()


def test_on_the_day_the_refusal_gives_the_time_only(client, collector):
    # Two hours before the start: same Beijing day unless run around midnight, so the time.
    session = starting_in(datetime.timedelta(hours=2))
    register(session, collector)
    client.force_login(collector)
    response = scan(client, session)
    opens = (session.start - datetime.timedelta(minutes=60)).astimezone(BEIJING)
    same_day = opens.date() == timezone.now().astimezone(BEIJING).date()
    expected = f"{opens:%H:%M}" if same_day else f"{opens:%Y-%m-%d %H:%M}"
    assertContains(response, f"opens at {expected} (Beijing time)", status_code=409)


@pytest.mark.parametrize("way", [scan, type_code])
def test_check_in_works_from_an_hour_before_the_start(client, collector, way):
    session = starting_in(datetime.timedelta(minutes=55))
    registration = register(session, collector)
    client.force_login(collector)
    assertContains(way(client, session), "You are checked in")
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED


def test_latecomers_check_in_up_to_half_an_hour_after_the_end(client, collector):
    session = starting_in(-datetime.timedelta(hours=3, minutes=25))  # ended 25 minutes ago
    registration = register(session, collector)
    client.force_login(collector)
    assertContains(scan(client, session), "You are checked in")
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED


@pytest.mark.parametrize("way", [scan, type_code])
def test_a_scan_after_the_allowance_is_refused_and_sent_to_the_trainer(client, collector, way):
    session = starting_in(-datetime.timedelta(hours=3, minutes=35))  # ended 35 minutes ago
    registration = register(session, collector)
    client.force_login(collector)
    response = way(client, session)
    assertContains(response, "has ended. Please see the trainer.", status_code=409)
    registration.refresh_from_db()
    assert registration.state == S.BOOKED


def test_the_window_is_an_hour_before_to_half_an_hour_after(collector):
    session = starting_in(datetime.timedelta(days=1), open_checkin=False)
    opens, ends = checkin.checkin_window(session)
    assert opens == session.start - datetime.timedelta(hours=1)
    assert ends == session.end + datetime.timedelta(minutes=30)
    session.checkin_opened_at = opens
    session.save(update_fields=["checkin_opened_at"])
    register(session, collector)
    with pytest.raises(checkin.CheckinRefused) as refused:
        checkin.check_in(session, collector, via="qr", at=opens - datetime.timedelta(seconds=1))
    assert refused.value.reason == checkin.Refusal.TOO_EARLY
    with pytest.raises(checkin.CheckinRefused) as refused:
        checkin.check_in(session, collector, via="qr", at=ends + datetime.timedelta(seconds=1))
    assert refused.value.reason == checkin.Refusal.ENDED
    assert not checkin.check_in(session, collector, via="qr", at=opens).already


# --- The trainer -------------------------------------------------------------------------------


@pytest.fixture
def trainer_client(client, trainer):
    return signed_in(client, trainer)


def test_the_trainer_cannot_open_check_in_days_early(trainer_client):
    session = starting_in(datetime.timedelta(days=3), open_checkin=False)
    response = trainer_client.post(reverse("attendance_sessions:open_checkin", args=[session.pk]))
    opens = (session.start - datetime.timedelta(minutes=60)).astimezone(BEIJING)
    assertContains(
        response,
        f"Check-in can be opened from {opens:%Y-%m-%d %H:%M} (Beijing time), 60 minutes "
        "before the session starts.",
    )
    session.refresh_from_db()
    assert session.checkin_opened_at is None


def test_the_trainer_opens_check_in_within_the_hour_before(trainer_client, trainer):
    session = starting_in(datetime.timedelta(minutes=50), open_checkin=False)
    response = trainer_client.post(reverse("attendance_sessions:open_checkin", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.checkin_opened_by == trainer


def test_attendance_cannot_be_marked_by_hand_before_the_session_starts(trainer_client, collector):
    session = starting_in(datetime.timedelta(minutes=30))
    registration = register(session, collector)
    for state in (S.ATTENDED, S.NO_SHOW):
        response = trainer_client.post(
            reverse("attendance_sessions:mark", args=[registration.pk]),
            {"state": state, "reason": "提前登记"},
        )
        assertContains(response, "The session has not started yet")
        registration.refresh_from_db()
        assert registration.state == S.BOOKED


def test_attendance_is_corrected_by_hand_long_after_the_session(trainer, collector):
    session = starting_in(-datetime.timedelta(days=2))
    registration = register(session, collector)
    marking.close_session(session, actor=trainer)
    registration = marking.mark_attendance(
        registration, S.ATTENDED, actor=trainer, reason="签到表补录"
    )
    assert registration.state == S.ATTENDED


# --- An unpublished event ----------------------------------------------------------------------


def test_a_qr_code_of_an_unpublished_event_checks_nobody_in(client, collector):
    session = live_session()
    registration = register(session, collector)
    token = checkin.current_code(session).token
    session.page.unpublish()
    client.force_login(collector)
    response = client.get(reverse("event_checkin:scan", args=[token]))
    assertContains(response, "is no longer published", status_code=409)
    registration.refresh_from_db()
    assert registration.state == S.BOOKED
