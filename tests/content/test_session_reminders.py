"""Reminders the day before: booked attendees of sessions starting tomorrow (Beijing), once."""

from __future__ import annotations

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from content import tasks
from content.attendance import registration as service
from tests.factories import UserFactory, make_session

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def tomorrow_at(hour: int) -> datetime.datetime:
    today = timezone.localtime(timezone.now(), BEIJING).date()
    return datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(hour), tzinfo=BEIJING
    )


def test_booked_attendees_of_tomorrows_sessions_get_one_reminder(
    django_capture_on_commit_callbacks,
):
    session = make_session(start=tomorrow_at(9), capacity=1)
    booked, waiting, cancelled = UserFactory(), UserFactory(), UserFactory()
    service.register(session, booked, actor=booked)
    service.register(session, waiting, actor=waiting)  # waitlisted: no reminder
    later = make_session(start=tomorrow_at(9) + datetime.timedelta(days=1))
    service.register(later, cancelled, actor=cancelled)  # the day after: not yet
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_session_reminders() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_session_reminders() == 0  # idempotent

    (message,) = mail.outbox
    assert message.to == [booked.email]
    assert session.page.title in message.subject
    assert message.attachments[0][0].endswith(".ics")
    session.refresh_from_db()
    assert session.reminders_sent_at is not None


def test_a_session_late_tomorrow_in_beijing_counts_as_tomorrow():
    # 23:30 Beijing tomorrow is still "tomorrow" in Beijing though it may be another UTC day.
    session = make_session(start=tomorrow_at(23).replace(minute=30))
    assert list(tasks.sessions_due_for_reminders()) == [session]


def test_the_command_does_what_the_beat_task_does(django_capture_on_commit_callbacks):
    session = make_session(start=tomorrow_at(14))
    person = UserFactory()
    service.register(session, person, actor=person)
    mail.outbox.clear()
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_session_reminders", stdout=out)

    assert "1 reminders queued" in out.getvalue()
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_the_beat_schedule_runs_it_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["send-session-reminders"]
    assert entry["task"] == "content.tasks.send_session_reminders"


def test_someone_who_cancels_after_the_reminders_are_queued_gets_none(
    django_capture_on_commit_callbacks,
):
    session = make_session(start=tomorrow_at(10))
    staying, leaving = UserFactory(), UserFactory()
    service.register(session, staying, actor=staying)
    gone = service.register(session, leaving, actor=leaving)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as queued:
        assert tasks.send_session_reminders() == 2
    service.cancel(gone, actor=leaving)  # before the worker sends the reminders
    for callback in queued:
        callback()

    assert [m.to for m in mail.outbox] == [[staying.email]]
