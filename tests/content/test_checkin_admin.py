"""The trainer's attendance screens in the Wagtail admin: the session list, a session's page,
the full-screen check-in screen and its JSON, for trainers and superusers only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from content.attendance import checkin
from content.models import RegistrationState
from tests.conftest import signed_in
from tests.content.checkin_support import (
    english,  # noqa: F401  (a fixture)
    live_session,
    register,
)
from tests.factories import make_session

# English messages: the checkin_support.english fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = RegistrationState
INDEX = reverse("attendance_sessions:index")


@pytest.fixture
def trainer_client(client, trainer):
    return signed_in(client, trainer)


def screen_url(session) -> str:
    return reverse("attendance_sessions:screen", args=[session.pk])


def state_url(session) -> str:
    return reverse("attendance_sessions:screen_state", args=[session.pk])


# --- The listing -------------------------------------------------------------------------------


def test_trainers_find_attendance_in_the_admin_menu(trainer_client):
    assertContains(trainer_client.get(reverse("wagtailadmin_home")), INDEX)


def test_the_list_shows_upcoming_sessions_first_then_past_ones(trainer_client):
    now = timezone.now()
    past = make_session(start=now - datetime.timedelta(days=30), title="上月场")
    older = make_session(start=now - datetime.timedelta(days=60), title="两月前")
    later = make_session(start=now + datetime.timedelta(days=14), title="下月场")
    sooner = make_session(start=now + datetime.timedelta(days=2), title="后天场")
    content = trainer_client.get(INDEX).content.decode()
    positions = [content.index(session.title) for session in (sooner, later, past, older)]
    assert positions == sorted(positions)


def test_each_listed_session_links_to_its_attendance_page(trainer_client):
    # Regression: the rows linked nowhere, so a trainer could not get from the list to a
    # session to open its check-in.
    session = make_session(title="下午场")
    inspect = reverse("attendance_sessions:inspect", args=[session.pk])
    assertContains(trainer_client.get(INDEX), f'href="{inspect}"')


def test_the_list_searches_and_filters(trainer_client):
    now = timezone.now()
    closed = make_session(start=now - datetime.timedelta(days=3), title="已结束场")
    closed.closed_at = now
    closed.save(update_fields=["closed_at"])
    open_one = live_session()
    open_one.title = "进行中"
    open_one.save(update_fields=["title"])
    response = trainer_client.get(INDEX, {"checkin": "closed"})
    assertContains(response, "已结束场")
    assertNotContains(response, "进行中")
    response = trainer_client.get(INDEX, {"q": open_one.page.title})
    assertContains(response, "进行中")
    assertNotContains(response, "已结束场")


@pytest.mark.parametrize("persona", ["reviewer", "auditor"])
def test_staff_without_the_permission_do_not_see_it(client, request, persona):
    signed_in(client, request.getfixturevalue(persona))
    assertNotContains(client.get(reverse("wagtailadmin_home")), INDEX)
    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


@pytest.mark.parametrize("persona", ["collector", "manager"])
def test_people_without_admin_access_are_kept_out(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(INDEX).status_code in (302, 403)


# --- A session's page --------------------------------------------------------------------------


def test_a_sessions_page_lists_registrations_with_state_time_and_history(
    trainer_client, collector, other_collector
):
    session = live_session()
    register(session, collector)
    checkin.check_in(session, collector, via="qr")
    register(session, other_collector, S.WAITLISTED)
    response = trainer_client.get(reverse("attendance_sessions:inspect", args=[session.pk]))
    assertContains(response, collector.legal_name)
    assertContains(response, 'data-state="attended"')
    assertContains(response, 'data-state="waitlisted"')
    assertContains(response, "QR code check-in")  # the history row's "how"
    assertContains(response, "2 changes")
    assertContains(response, screen_url(session))
    assertContains(response, reverse("attendance_sessions:close_session", args=[session.pk]))


def test_a_session_not_yet_open_offers_to_open_check_in(trainer_client):
    session = live_session(open_checkin=False)
    response = trainer_client.get(reverse("attendance_sessions:inspect", args=[session.pk]))
    assertContains(response, reverse("attendance_sessions:open_checkin", args=[session.pk]))
    assertNotContains(response, screen_url(session))


# --- The check-in screen -----------------------------------------------------------------------


def test_the_screen_shows_the_current_code_and_qr(trainer_client):
    session = live_session()
    response = trainer_client.get(screen_url(session))
    assert response.status_code == 200
    page = response.content.decode()
    digits = re.search(r'id="checkin-digits"[^>]*>(\d{6})<', page).group(1)
    checkin.verify_digits(session, digits)  # this session's code, still valid
    assert 'src="data:image/svg+xml' in page
    # No inline script: the site's and the admin's CSP both hold.
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all("src=" in tag for tag in scripts)
    assert "onclick" not in page


def test_the_screens_json_gives_a_code_that_checks_in(trainer_client, collector, settings):
    session = live_session()
    registration = register(session, collector)
    state = trainer_client.get(state_url(session)).json()
    assert state["open"] is True and state["checked_in"] == 0 and state["expected"] == 1
    assert 0 < state["seconds_left"] <= checkin.ROTATION_SECONDS
    assert state["qr"].startswith("data:image/svg+xml")
    assert state["url"].startswith(settings.SITE_BASE_URL)
    phone = Client()
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    phone.force_login(collector)
    assertContains(
        phone.get(state["url"].removeprefix(settings.SITE_BASE_URL)), "You are checked in"
    )
    registration.refresh_from_db()
    assert registration.state == S.ATTENDED
    assert trainer_client.get(state_url(session)).json()["checked_in"] == 1


def test_the_count_follows_check_ins(client, trainer, collector):
    session = live_session()
    register(session, collector)
    checkin.check_in(session, collector, via="code")
    signed_in(client, trainer)
    state = client.get(state_url(session)).json()
    assert state["checked_in"] == 1 and state["expected"] == 1
    assert checkin.verify_digits(session, state["digits"]) == state["window"]


def test_a_closed_session_shows_no_code(trainer_client):
    session = live_session()
    session.closed_at = timezone.now()
    session.save(update_fields=["closed_at"])
    state = trainer_client.get(state_url(session)).json()
    assert state == {**state, "open": False} and "digits" not in state
    assertContains(trainer_client.get(screen_url(session)), "This session is closed")


@pytest.mark.parametrize("persona", ["reviewer", "auditor"])
def test_the_screen_and_its_json_are_for_trainers_only(client, request, persona):
    session = live_session()
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(state_url(session)).status_code == 403
    assert client.get(screen_url(session)).status_code == 403


def test_the_json_needs_admin_access(client, collector):
    session = live_session()
    response = client.get(state_url(session))
    assert response.status_code == 302
    client.force_login(collector)
    response = client.get(state_url(session))
    assert response.status_code in (302, 403)
    assert b"digits" not in response.content


def test_a_superuser_sees_the_screen(client, admin_user):
    session = live_session()
    signed_in(client, admin_user)
    assert client.get(state_url(session)).json()["open"] is True
