"""Check-in codes (content.attendance.checkin): the 30-second windows, the 90-second grace
after a code rotates, the 6-digit fallback under the same rules, and the refusals — another
session's code, an expired one, a tampered token — each with its own message."""

from __future__ import annotations

import datetime

import pytest
from django.core import signing
from django.utils import timezone

from content.attendance import checkin
from content.attendance.checkin import GRACE_SECONDS, ROTATION_SECONDS, CheckinRefused, Refusal
from content.models import ChangeVia, RegistrationState
from content.signals import attendance_changed
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
    return live_session()


def moments(session):
    """A window, the moment it starts, and the last moment its code is still accepted."""
    window = checkin.window_at(timezone.now()) - 10
    start = datetime.datetime.fromtimestamp(window * ROTATION_SECONDS, tz=datetime.UTC)
    last = checkin.window_end(window) + datetime.timedelta(seconds=GRACE_SECONDS - 1)
    return window, start, last


def test_the_window_is_30_seconds_and_the_grace_90():
    assert ROTATION_SECONDS == 30 and GRACE_SECONDS == 90


def test_a_code_changes_with_each_window_and_session(session):
    other = live_session()
    code = checkin.current_code(session)
    assert len(code.digits) == 6 and code.digits.isdigit()
    assert checkin.make_digits(session.pk, code.window) == code.digits
    assert checkin.make_digits(session.pk, code.window + 1) != code.digits
    assert checkin.make_digits(other.pk, code.window) != code.digits
    assert 0 < code.seconds_left(timezone.now()) <= ROTATION_SECONDS


def test_a_token_is_accepted_late_within_the_grace_period(session):
    window, start, last = moments(session)
    token = checkin.current_code(session, start).token
    assert checkin.verify_token(token, start) == (session.pk, window)
    # It rotated out 30 s after it appeared; 89 s after that it still works.
    assert checkin.verify_token(token, last) == (session.pk, window)


def test_a_token_is_refused_once_the_grace_period_is_over(session):
    window, start, last = moments(session)
    token = checkin.current_code(session, start).token
    with pytest.raises(CheckinRefused) as refused:
        checkin.verify_token(token, last + datetime.timedelta(seconds=1))
    assert refused.value.reason == Refusal.EXPIRED
    assert "expired" in refused.value.message


def test_a_token_of_a_window_still_to_come_is_refused(session):
    window, start, last = moments(session)
    token = checkin.make_token(session.pk, window + 1)
    with pytest.raises(CheckinRefused):
        checkin.verify_token(token, start)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: token.replace(token.split(":")[0], "eyJzIjoxLCJ3IjoxfQ"),  # the payload
        lambda token: signing.Signer(salt="another.salt").sign_object({"s": 1, "w": 1}),
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_token_is_refused(session, tamper):
    token = tamper(checkin.current_code(session).token)
    with pytest.raises(CheckinRefused) as refused:
        checkin.verify_token(token)
    assert refused.value.reason == Refusal.BAD_TOKEN
    assert "not valid" in refused.value.message


def test_the_6_digit_code_follows_the_same_window_rules(session):
    window, start, last = moments(session)
    digits = checkin.current_code(session, start).digits
    assert checkin.verify_digits(session, digits, start) == window
    assert checkin.verify_digits(session, f" {digits[:3]} {digits[3:]} ", last) == window
    with pytest.raises(CheckinRefused) as refused:
        checkin.verify_digits(session, digits, last + datetime.timedelta(seconds=1))
    assert refused.value.reason == Refusal.EXPIRED


def test_another_sessions_code_is_refused_and_named(session):
    other = live_session()
    digits = checkin.current_code(other).digits
    with pytest.raises(CheckinRefused) as refused:
        checkin.verify_digits(session, digits)
    assert refused.value.reason == Refusal.OTHER_SESSION
    assert other.page.title in refused.value.message


def test_a_code_typed_in_full_width_digits_is_accepted(session):
    code = checkin.current_code(session)
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code.digits)
    assert checkin.verify_digits(session, full_width) == code.window


@pytest.mark.parametrize("digits", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_a_malformed_or_wrong_code_is_refused_as_wrong(session, digits):
    if digits == "":
        digits = str((int(checkin.current_code(session).digits) + 1) % 10**6).zfill(6)
    with pytest.raises(CheckinRefused) as refused:
        checkin.verify_digits(session, digits)
    assert refused.value.reason == Refusal.WRONG_CODE


def test_checking_in_twice_changes_the_registration_once(session, collector):
    registration = register(session, collector)
    token = checkin.current_code(session).token
    with receiving(attendance_changed) as sent:
        first = checkin.check_in_with_token(token, collector)
        second = checkin.check_in_with_token(token, collector)
    assert not first.already and second.already
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED and registration.checked_in_at is not None
    changes = list(registration.changes.filter(to_state=S.ATTENDED))
    assert len(changes) == 1 and changes[0].via == ChangeVia.QR and changes[0].actor == collector
    assert len(sent) == 1 and sent[0]["registration"].pk == registration.pk


@pytest.mark.parametrize("state", [S.WAITLISTED, S.REQUESTED, S.CANCELLED, S.NO_SHOW])
def test_only_a_booked_registration_checks_in(session, collector, state):
    registration = register(session, collector, state)
    with pytest.raises(CheckinRefused) as refused:
        checkin.check_in(session, collector, via=ChangeVia.CODE)
    assert refused.value.reason == Refusal.NOT_BOOKED
    assert "see the trainer" in refused.value.message
    registration.refresh_from_db()
    assert registration.state == state


def test_someone_not_registered_is_refused(session, collector):
    with pytest.raises(CheckinRefused) as refused:
        checkin.check_in(session, collector, via=ChangeVia.QR)
    assert refused.value.reason == Refusal.NOT_REGISTERED


def test_someone_booked_for_another_session_of_the_event_is_told_so(session, collector):
    from tests.factories import make_session

    afternoon = make_session(event=session.page, start=session.end, title="下午场")
    register(afternoon, collector)
    with pytest.raises(CheckinRefused) as refused:
        checkin.check_in(session, collector, via=ChangeVia.QR)
    assert refused.value.reason == Refusal.OTHER_SESSION
    assert "下午场" in refused.value.message


def test_check_in_waits_for_the_trainer_to_open_it(collector):
    session = live_session(open_checkin=False)
    register(session, collector)
    with pytest.raises(CheckinRefused) as refused:
        checkin.check_in(session, collector, via=ChangeVia.QR)
    assert refused.value.reason == Refusal.NOT_OPEN


def test_a_closed_session_refuses_check_in(session, collector):
    register(session, collector)
    session.closed_at = timezone.now()
    session.save(update_fields=["closed_at"])
    with pytest.raises(CheckinRefused) as refused:
        checkin.check_in(session, collector, via=ChangeVia.QR)
    assert refused.value.reason == Refusal.CLOSED
