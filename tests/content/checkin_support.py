"""What the check-in and attendance tests share: sessions, registrations in a given state,
and a receiver that counts a signal."""

from __future__ import annotations

import datetime
from contextlib import contextmanager

import pytest
from django.db.models.signals import post_save
from django.utils import timezone, translation

from content.models import ChangeVia, Registration, RegistrationState
from lms.accounts.models import User
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


@pytest.fixture
def english(client, settings):
    """The tests that use it read the English messages (the site speaks Chinese unless a person
    chose otherwise): the client's language cookie, and every person created meanwhile saved
    with English as their choice (a signed-in person's choice wins over the cookie)."""

    def choose_english(sender, instance, created, **kwargs):
        if created:
            User.objects.filter(pk=instance.pk).update(preferred_language="en")

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    post_save.connect(choose_english, sender=User, weak=False)
    try:
        with translation.override("en"):
            yield
    finally:
        post_save.disconnect(choose_english, sender=User)
