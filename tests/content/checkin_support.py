"""What the check-in and attendance tests share: sessions, registrations in a given state,
and a receiver that counts a signal."""

from __future__ import annotations

import datetime
from contextlib import contextmanager

from django.utils import timezone

from content.models import ChangeVia, Registration, RegistrationState
from tests.factories import make_session

S = RegistrationState


def live_session(*, open_checkin: bool = True, start=None, **fields):
    """A session that started an hour ago (3 h long) unless ``start`` says otherwise, with
    check-in opened by default."""
    start = start or (timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=0)
    session = make_session(start=start, **fields)
    if open_checkin:
        session.checkin_opened_at = start
        session.save(update_fields=["checkin_opened_at"])
    return session


def register(session, user, state: str = S.BOOKED) -> Registration:
    """A registration in ``state``, reached the way the registration service would."""
    registration = Registration(session=session, user=user)
    if state in (S.BOOKED, S.WAITLISTED, S.REQUESTED):
        registration.change_state(state, via=ChangeVia.SELF, actor=user)
    else:
        registration.change_state(S.BOOKED, via=ChangeVia.SELF, actor=user)
        registration.change_state(state, via=ChangeVia.TRAINER)
    return registration


@contextmanager
def receiving(signal):
    """Collects the keyword arguments of each sending of ``signal`` while inside."""
    calls: list[dict] = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    signal.connect(receiver, weak=False)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)
