"""Attendees check in from their phone: the QR code's link (signed in, or sent to sign in and
back) and the 6-digit code form, with the same rules; refusals are pages saying why."""

from __future__ import annotations

import datetime
import types
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from content.attendance import checkin, checkin_views
from content.models import ChangeVia, RegistrationState
from tests.conftest import PASSWORD
from tests.content.checkin_support import (
    english,  # noqa: F401  (a fixture)
    live_session,
    register,
)

# English messages: the checkin_support.english fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = RegistrationState


@pytest.fixture
def session():
    return live_session()


def scan_url(token: str) -> str:
    return reverse("event_checkin:scan", args=[token])


def code_url(session) -> str:
    return reverse("event_checkin:code", args=[session.pk])


def later(monkeypatch, seconds: int) -> None:
    """The check-in views' clock moves ``seconds`` ahead (the services take the view's time)."""
    moment = timezone.now() + datetime.timedelta(seconds=seconds)
    monkeypatch.setattr(checkin_views, "timezone", types.SimpleNamespace(now=lambda: moment))


# --- The QR code's link ------------------------------------------------------------------------


def test_a_signed_in_booked_collector_is_checked_in_by_the_link(client, session, collector):
    registration = register(session, collector)
    client.force_login(collector)
    response = client.get(scan_url(checkin.current_code(session).token))
    assertContains(response, "You are checked in")
    assertContains(response, session.page.title)
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED
    assert registration.changes.last().via == ChangeVia.QR


def test_opening_the_link_again_says_already_checked_in(client, session, collector):
    registration = register(session, collector)
    client.force_login(collector)
    url = scan_url(checkin.current_code(session).token)
    client.get(url)
    response = client.get(url)
    assertContains(response, "You are already checked in")
    assert registration.changes.filter(to_state=S.ATTENDED).count() == 1


def test_a_link_scanned_late_within_the_grace_period_works(client, session, collector):
    register(session, collector)
    client.force_login(collector)
    token = checkin.current_code(session, timezone.now() - datetime.timedelta(seconds=60)).token
    assertContains(client.get(scan_url(token)), "You are checked in")


def test_a_link_older_than_the_grace_period_is_refused(client, session, collector):
    registration = register(session, collector)
    client.force_login(collector)
    token = checkin.current_code(session, timezone.now() - datetime.timedelta(seconds=130)).token
    response = client.get(scan_url(token))
    assertContains(response, "expired", status_code=400)
    registration.refresh_from_db()
    assert registration.state == S.BOOKED


def test_a_tampered_link_is_refused(client, session, collector):
    register(session, collector)
    client.force_login(collector)
    token = checkin.current_code(session).token
    response = client.get(scan_url(token[:-2] + "xx"))
    assertContains(response, "not valid", status_code=400)


def test_a_collector_not_booked_is_sent_to_the_trainer(client, session, collector):
    register(session, collector, S.WAITLISTED)
    client.force_login(collector)
    response = client.get(scan_url(checkin.current_code(session).token))
    assertContains(response, "see the trainer", status_code=409)


def test_a_phone_signed_out_signs_in_and_comes_back_checked_in(client, session, collector):
    registration = register(session, collector)
    url = scan_url(checkin.current_code(session).token)
    response = client.get(url)
    assert response.status_code == 302
    login = reverse("account_login")
    assert response["Location"] == f"{login}?next={quote(url, safe='/')}"
    # allauth's own sign-in form, as the phone would post it.
    response = client.post(login, {"login": collector.email, "password": PASSWORD, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assertContains(client.get(url), "You are checked in")
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED


def test_a_slow_sign_in_keeps_the_scan_it_started_from(client, session, collector, monkeypatch):
    registration = register(session, collector)
    url = scan_url(checkin.current_code(session).token)
    client.get(url)  # seen while it was on the screen
    client.post(reverse("account_login"), {"login": collector.email, "password": PASSWORD})
    later(monkeypatch, 10 * 60)  # the code expired long ago, the sign-in took 10 minutes
    assertContains(client.get(url), "You are checked in")
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED


def test_a_sign_in_slower_than_its_allowance_is_refused(client, session, collector, monkeypatch):
    register(session, collector)
    url = scan_url(checkin.current_code(session).token)
    client.get(url)
    client.post(reverse("account_login"), {"login": collector.email, "password": PASSWORD})
    later(monkeypatch, checkin_views.SIGN_IN_SECONDS + 60)
    assertContains(client.get(url), "expired", status_code=400)


def test_the_allowance_is_only_for_the_link_that_browser_opened(
    client, session, collector, monkeypatch
):
    register(session, collector)
    client.get(scan_url(checkin.current_code(session).token))
    client.post(reverse("account_login"), {"login": collector.email, "password": PASSWORD})
    stale = checkin.current_code(session, timezone.now() - datetime.timedelta(seconds=200))
    assertContains(client.get(scan_url(stale.token)), "expired", status_code=400)


def test_a_stale_link_is_refused_before_signing_in(client, session):
    token = checkin.current_code(session, timezone.now() - datetime.timedelta(seconds=130)).token
    response = client.get(scan_url(token))
    assertContains(response, "expired", status_code=400)


def test_the_link_only_answers_get(client, session, collector):
    client.force_login(collector)
    response = client.post(scan_url(checkin.current_code(session).token))
    assert response.status_code == 405


# --- The 6-digit code --------------------------------------------------------------------------


def test_the_code_form_needs_a_signed_in_person(client, session):
    response = client.get(code_url(session))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_right_code_checks_in(client, session, collector):
    registration = register(session, collector)
    client.force_login(collector)
    assertContains(client.get(code_url(session)), 'name="code"')
    response = client.post(code_url(session), {"code": checkin.current_code(session).digits})
    assertContains(response, "You are checked in")
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED
    assert registration.changes.last().via == ChangeVia.CODE


def test_a_wrong_code_is_refused_and_nothing_changes(client, session, collector):
    registration = register(session, collector)
    client.force_login(collector)
    wrong = str((int(checkin.current_code(session).digits) + 1) % 10**6).zfill(6)
    response = client.post(code_url(session), {"code": wrong})
    assertContains(response, "not this session", status_code=400)
    registration.refresh_from_db()
    assert registration.state == S.BOOKED


def test_another_sessions_code_is_refused_with_its_name(client, session, collector):
    register(session, collector)
    other = live_session()
    client.force_login(collector)
    response = client.post(code_url(session), {"code": checkin.current_code(other).digits})
    assertContains(response, "another session", status_code=400)


def test_an_expired_code_is_refused(client, session, collector):
    register(session, collector)
    client.force_login(collector)
    old = checkin.current_code(session, timezone.now() - datetime.timedelta(seconds=130))
    assertContains(client.post(code_url(session), {"code": old.digits}), "expired", status_code=400)


def test_the_code_form_needs_the_csrf_token(session, collector):
    register(session, collector)
    client = Client(enforce_csrf_checks=True)
    client.force_login(collector)
    response = client.post(code_url(session), {"code": checkin.current_code(session).digits})
    assert response.status_code == 403


def test_code_guesses_are_rate_limited_per_person_and_session(
    client, session, collector, other_collector, settings
):
    settings.CHECKIN_CODE_RATE = "3/10m"
    registration = register(session, collector)
    register(session, other_collector)
    client.force_login(collector)
    right = checkin.current_code(session).digits
    wrong = str((int(right) + 1) % 10**6).zfill(6)
    for _ in range(3):
        assert client.post(code_url(session), {"code": wrong}).status_code == 400
    response = client.post(code_url(session), {"code": right})
    assertContains(response, "Too many attempts", status_code=429)
    assert 0 < int(response["Retry-After"]) <= 600
    registration.refresh_from_db()
    assert registration.state == S.BOOKED
    # Someone else in the room is not held back by it.
    other = Client()
    other.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    other.force_login(other_collector)
    assertContains(other.post(code_url(session), {"code": right}), "You are checked in")


def test_the_code_form_says_when_check_in_is_not_open(client, collector):
    session = live_session(open_checkin=False)
    register(session, collector)
    client.force_login(collector)
    assertContains(client.get(code_url(session)), "not been opened yet")
    response = client.post(code_url(session), {"code": checkin.current_code(session).digits})
    assertContains(response, "not been opened yet", status_code=409)


def test_a_session_of_an_unpublished_event_is_not_found(client, session, collector):
    session.page.unpublish()
    client.force_login(collector)
    assert client.get(code_url(session)).status_code == 404


def test_the_pages_speak_chinese_by_default(client, session, collector, settings):
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    collector.preferred_language = "zh-hans"
    collector.save(update_fields=["preferred_language"])
    register(session, collector)
    client.force_login(collector)
    assertContains(client.get(code_url(session)), "签到码")
    assertContains(client.get(scan_url(checkin.current_code(session).token)), "签到成功")
    stale = checkin.current_code(session, timezone.now() - datetime.timedelta(seconds=130))
    assertContains(client.get(scan_url(stale.token)), "已过期", status_code=400)
