"""The event page editor: it refuses to delete a session people registered for (no 500), and
sessions of absurd length or crediting more hours than they last."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from wagtail.test.utils.form_data import inline_formset

from content.attendance import registration as service
from content.models import EventSession
from tests.content.test_events import form_data
from tests.factories import make_session

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def editor(client, media):
    from tests.conftest import activate_totp, make_user

    admin = make_user("editor@example.com", "周编辑", is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def session_form(session: EventSession, *, delete: bool, **overrides: str) -> dict:
    local = timezone.localtime
    return {
        "id": str(session.pk),
        "title": session.title,
        "mode": session.mode,
        "start": local(session.start).strftime("%Y-%m-%d %H:%M"),
        "end": local(session.end).strftime("%Y-%m-%d %H:%M"),
        "venue": session.venue,
        "online_url": "",
        "capacity": str(session.capacity),
        "cpd_hours": "",
        "registration_opens": "",
        "registration_closes": "",
        "DELETE": "1" if delete else "",
        "ORDER": "1",
        **overrides,
    }


def edit(client, session: EventSession, *, delete: bool = False, **overrides: str):
    page = session.page
    data = form_data(
        title=page.title,
        slug=page.slug,
        start=timezone.localtime(page.start).strftime("%Y-%m-%d %H:%M"),
        end=timezone.localtime(page.end).strftime("%Y-%m-%d %H:%M"),
        sessions=inline_formset([session_form(session, delete=delete, **overrides)], initial=1),
    )
    data["action-publish"] = "action-publish"
    return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)


def test_a_session_with_registrations_cannot_be_deleted(editor, collector):
    session = make_session()
    service.register(session, collector, actor=collector)

    response = edit(editor, session, delete=True)

    assert response.status_code == 200  # the form again, with the reason
    expected = gettext(
        "The session “%(session)s” has registrations and cannot be deleted. "
        "Close it instead, or keep it on the page."
    ) % {"session": session}
    assert escape(expected) in response.content.decode()
    assert EventSession.objects.filter(pk=session.pk).exists()


def test_a_session_nobody_registered_for_can_be_deleted(editor):
    session = make_session()

    response = edit(editor, session, delete=True)

    assert response.status_code == 302
    assert not EventSession.objects.filter(pk=session.pk).exists()


def session_errors(response) -> dict:
    assert response.status_code == 200  # the form again, not a redirect
    (errors,) = response.context["form"].formsets["sessions"].errors
    return {field: [str(message) for message in messages] for field, messages in errors.items()}


def test_a_session_longer_than_24_hours_is_refused(editor):
    session = make_session(start=datetime.datetime(2030, 3, 2, 9, tzinfo=BEIJING), hours=3)
    # A year typo: 2031 for 2030 would be 8,763 hours (beyond what the CPD ledger stores).
    response = edit(editor, session, end="2031-03-02 12:00")

    expected = gettext(
        "A session lasts at most 24 hours. For an event over several days, add one session per day."
    )
    assert session_errors(response) == {"end": [expected]}
    session.refresh_from_db()
    assert session.length_hours == 3


def test_a_session_of_exactly_24_hours_is_accepted(editor):
    session = make_session(start=datetime.datetime(2030, 3, 2, 9, tzinfo=BEIJING), hours=3)

    response = edit(editor, session, end="2030-03-03 09:00")

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.length_hours == 24


def test_cpd_hours_beyond_the_sessions_length_are_refused(editor):
    session = make_session(start=datetime.datetime(2030, 3, 2, 9, tzinfo=BEIJING), hours=3)

    response = edit(editor, session, cpd_hours="72")

    expected = gettext("The CPD hours cannot exceed the session's length (%(hours)s hours).") % {
        "hours": "3"
    }
    assert session_errors(response) == {"cpd_hours": [expected]}
    session.refresh_from_db()
    assert session.cpd_hours is None


def test_cpd_hours_up_to_the_sessions_length_are_accepted(editor):
    session = make_session(start=datetime.datetime(2030, 3, 2, 9, tzinfo=BEIJING), hours=3)

    assert edit(editor, session, cpd_hours="3").status_code == 302
    session.refresh_from_db()
    assert session.cpd_hours == Decimal("3.00")
