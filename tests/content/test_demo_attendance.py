"""seed_demo's salons and summits: the sessions and their states, and a summit session with a
working check-in screen whenever the demo is seeded (self check-in has a time window, so a
session in March 2027 cannot serve), moved to the current hour once it has ended unused."""

from __future__ import annotations

import datetime
import types
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from content import demo_attendance
from content.attendance import checkin
from content.attendance import registration as registration_service
from content.models import EventSession, Registration, RegistrationChange, RegistrationState
from lms.accounts.models import User

pytestmark = pytest.mark.django_db
S = RegistrationState
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    return out.getvalue()


def summit_sessions() -> dict[str, EventSession]:
    return {
        session.title: session
        for session in EventSession.objects.filter(page__slug=demo_attendance.SUMMIT_SLUG)
    }


def state_of(session: EventSession, email: str) -> str:
    return session.registrations.get(user__email=email).state


def counts() -> tuple[int, int, int]:
    return (
        EventSession.objects.count(),
        Registration.objects.count(),
        RegistrationChange.objects.count(),
    )


def test_the_summit_has_a_working_check_in_session_around_now(client):
    seed()
    sessions = summit_sessions()
    assert set(sessions) == {
        "会前线上公开课：新版治安管理处罚法要点",
        "主会场",
        demo_attendance.CHECKIN_DEMO_TITLE,
    }
    collector = "collector@demo.test"
    pre_class, main = sessions["会前线上公开课：新版治安管理处罚法要点"], sessions["主会场"]
    assert pre_class.closed_at is not None and state_of(pre_class, collector) == S.ATTENDED
    # The main session (March 2027): 张三 booked, check-in not open (its window is months away).
    assert main.checkin_opened_at is None and state_of(main, collector) == S.BOOKED

    demo = sessions[demo_attendance.CHECKIN_DEMO_TITLE]
    hour = timezone.now().astimezone(BEIJING).replace(minute=0, second=0, microsecond=0)
    assert demo.start == hour and demo.end == hour + datetime.timedelta(hours=8)
    assert demo.venue == demo.page.specific.venue and demo.closed_at is None
    assert demo.checkin_opened_at is not None
    assert demo.checkin_opened_by.email == "trainer@demo.test"
    assert state_of(demo, collector) == S.BOOKED

    # A second run right after creates nothing and changes nothing.
    before = counts()
    assert "seed_demo: nothing to do" in seed()
    assert counts() == before

    # The check-in screen's code works for 张三.
    client.force_login(User.objects.get(email=collector))
    response = client.get(reverse("event_checkin:scan", args=[checkin.current_code(demo).token]))
    assert response.status_code == 200
    assert state_of(demo, collector) == S.ATTENDED


def test_the_salon_session_has_a_registration_in_every_state():
    seed()
    session = EventSession.objects.get(page__slug=demo_attendance.SALON_SLUG)
    states = set(session.registrations.values_list("state", flat=True))
    assert states == {
        S.ATTENDED,
        S.PARTLY_ATTENDED,
        S.NO_SHOW,
        S.BOOKED,
        S.WAITLISTED,
        S.CANCELLED,
        S.REQUESTED,
    }


def test_an_ended_unused_demo_session_moves_to_the_current_hour():
    seed()
    demo = summit_sessions()[demo_attendance.CHECKIN_DEMO_TITLE]
    yesterday = demo.start - datetime.timedelta(days=1)
    EventSession.objects.filter(pk=demo.pk).update(
        start=yesterday,
        end=yesterday + datetime.timedelta(hours=8),
        registration_closes=yesterday + datetime.timedelta(hours=8),
        checkin_opened_at=yesterday,
    )
    before = counts()
    output = seed()
    assert "moved summit session" in output
    demo.refresh_from_db()
    hour = timezone.now().astimezone(BEIJING).replace(minute=0, second=0, microsecond=0)
    assert demo.start == hour and demo.end == hour + datetime.timedelta(hours=8)
    assert demo.checkin_opened_at > timezone.now() - datetime.timedelta(minutes=5)
    assert counts() == before  # moved, nothing new
    assert state_of(demo, "collector@demo.test") == S.BOOKED
    assert "seed_demo: nothing to do" in seed()


def test_a_demo_session_someone_checked_in_to_is_kept_as_a_record(client):
    seed()
    demo = summit_sessions()[demo_attendance.CHECKIN_DEMO_TITLE]
    client.force_login(User.objects.get(email="collector@demo.test"))
    token = checkin.current_code(demo).token
    assertContains(client.get(reverse("event_checkin:scan", args=[token])), "签到成功")
    yesterday = demo.start - datetime.timedelta(days=1)
    EventSession.objects.filter(pk=demo.pk).update(
        start=yesterday, end=yesterday + datetime.timedelta(hours=8)
    )
    assert "moved summit session" not in seed()
    demo.refresh_from_db()
    assert demo.start == yesterday


def test_seeding_after_the_main_sessions_registration_closed_does_not_fail(monkeypatch):
    # Registration for the main session (March 2027) closes at its start; a demo seeded
    # afresh after that skips booking 张三 there instead of raising.
    april_2027 = datetime.datetime(2027, 4, 1, 10, tzinfo=BEIJING)
    monkeypatch.setattr(
        registration_service, "timezone", types.SimpleNamespace(now=lambda: april_2027)
    )
    output = seed()
    assert "registration closed, nobody booked" in output
    main = summit_sessions()["主会场"]
    assert not main.registrations.exists()
    assert summit_sessions()[demo_attendance.CHECKIN_DEMO_TITLE].checkin_opened_at is not None
