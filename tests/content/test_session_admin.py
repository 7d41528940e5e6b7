"""The event page editor refuses to delete a session people registered for (no 500)."""

from __future__ import annotations

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


def session_form(session: EventSession, *, delete: bool) -> dict:
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
    }


def edit(client, session: EventSession, *, delete: bool):
    page = session.page
    data = form_data(
        title=page.title,
        slug=page.slug,
        start=timezone.localtime(page.start).strftime("%Y-%m-%d %H:%M"),
        end=timezone.localtime(page.end).strftime("%Y-%m-%d %H:%M"),
        sessions=inline_formset([session_form(session, delete=delete)], initial=1),
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
