"""A session's hours corrected after people attended correct their ledger when the event page
is published: one correcting entry each (a credit or a debit), none on publishing again; a
partial attendance is never worth more than the session's full hours."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset

from content.models import ChangeVia, EventSession, Registration, RegistrationState
from courses import cpd
from courses.models import CPDEntry, CPDSource
from tests.content.test_events import form_data
from tests.factories import make_session

pytestmark = pytest.mark.django_db

S = RegistrationState


@pytest.fixture
def editor(client, settings, tmp_path):
    from tests.conftest import activate_totp, make_user

    settings.MEDIA_ROOT = str(tmp_path / "media")
    admin = make_user("editor@example.com", "周编辑", is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    return client


def attend(user, session, state=S.ATTENDED, hours=None) -> Registration:
    """Book ``user`` on ``session`` and record their attendance (partial: ``hours``)."""
    with transaction.atomic():
        registration = Registration(session=session, user=user)
        registration.change_state(S.BOOKED, via=ChangeVia.SELF, actor=user)
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if hours is not None:
            locked.attended_hours = Decimal(hours)
        locked.change_state(state, via=ChangeVia.TRAINER, actor=None)
    return registration


def publish(client, session: EventSession, *, cpd_hours="", end=None) -> None:
    """Publish the session's event page from the page editor with the session edited."""
    page = session.page
    local = timezone.localtime
    row = {
        "id": str(session.pk),
        "title": session.title,
        "mode": session.mode,
        "start": local(session.start).strftime("%Y-%m-%d %H:%M"),
        "end": local(end or session.end).strftime("%Y-%m-%d %H:%M"),
        "venue": session.venue,
        "online_url": "",
        "capacity": str(session.capacity),
        "cpd_hours": cpd_hours,
        "registration_opens": "",
        "registration_closes": "",
        "DELETE": "",
        "ORDER": "1",
    }
    data = form_data(
        title=page.title,
        slug=page.slug,
        start=local(page.start).strftime("%Y-%m-%d %H:%M"),
        end=local(max(page.end, end or page.end)).strftime("%Y-%m-%d %H:%M"),
        sessions=inline_formset([row], initial=1),
    )
    data["action-publish"] = "action-publish"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def entries(user) -> list[Decimal]:
    return list(CPDEntry.objects.filter(user=user).order_by("pk").values_list("hours", flat=True))


def test_raising_then_lowering_the_cpd_hours_corrects_each_attendance_once(
    editor, collector, other_collector
):
    # Five hours long, three credited (CPD hours may not exceed the length).
    session = make_session(hours=5, cpd_hours=Decimal("3"))
    full = attend(collector, session)
    partial = attend(other_collector, session, S.PARTLY_ATTENDED, hours="2.5")
    assert entries(collector) == [Decimal("3.00")]
    assert entries(other_collector) == [Decimal("2.50")]

    publish(editor, session, cpd_hours="4")

    assert entries(collector) == [Decimal("3.00"), Decimal("1.00")]
    assert entries(other_collector) == [Decimal("2.50")]  # 2.5 recorded is below 4: unchanged
    correction = CPDEntry.objects.filter(user=collector).latest("pk")
    assert correction.source == CPDSource.SESSION and correction.registration_id == full.pk
    assert correction.offline is True
    assert correction.earned_on == timezone.localdate(session.start)

    publish(editor, session, cpd_hours="4")  # published again, nothing changed
    assert len(entries(collector)) == 2 and len(entries(other_collector)) == 1

    publish(editor, session, cpd_hours="1.5")

    assert entries(collector)[-1] == Decimal("-2.50")
    # 2.5 hours recorded of a session now worth 1.5: credited the session's 1.5, not more.
    assert entries(other_collector) == [Decimal("2.50"), Decimal("-1.00")]
    assert cpd.balances(collector)[0] == cpd.balances(other_collector)[0] == Decimal("1.50")
    partial.refresh_from_db()
    assert partial.attended_hours == Decimal("2.5")  # the registration keeps what was recorded

    publish(editor, session, cpd_hours="1.5")
    assert len(entries(collector)) == 3 and len(entries(other_collector)) == 2


def test_a_longer_session_credits_the_added_time_to_attendees_only(
    editor, collector, other_collector
):
    session = make_session(hours=2)
    attend(collector, session)
    with transaction.atomic():
        Registration(session=session, user=other_collector).change_state(
            S.BOOKED, via=ChangeVia.SELF, actor=other_collector
        )

    publish(editor, session, end=session.end + datetime.timedelta(minutes=90))

    assert entries(collector) == [Decimal("2.00"), Decimal("1.50")]
    assert entries(other_collector) == []  # booked, not attended: nothing


def test_a_partial_attendance_is_worth_at_most_the_session(collector):
    session = make_session(hours=2)
    registration = attend(collector, session, S.PARTLY_ATTENDED, hours="1")
    Registration.objects.filter(pk=registration.pk).update(attended_hours=Decimal("5"))

    cpd.credit_attendance(registration)

    assert entries(collector) == [Decimal("1.00"), Decimal("1.00")]
    assert cpd.credit_attendance(registration) is None
