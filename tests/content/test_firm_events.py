"""Firm managers' event pages: their own firm only, bulk booking, approving requests."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from content.attendance import registration as service
from content.models import ChangeVia, Registration, RegistrationState
from tests.factories import make_session

from .attendance_helpers import firm_with_manager, staff

S = RegistrationState


def msg(text: str) -> str:
    """``text`` as the person reads it (the active language), for matching."""
    return gettext(text)


pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    firm, manager = firm_with_manager()
    other_firm, other_manager = firm_with_manager()
    return {
        "firm": firm,
        "manager": manager,
        "mine": staff(firm, 3),
        "other_manager": other_manager,
        "theirs": staff(other_firm, 1)[0],
    }


def session_url(session) -> str:
    return reverse("firm_events:session", args=[session.pk])


def test_only_firm_managers_get_in(client, collector):
    url = reverse("firm_events:index")
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(collector)
    assert client.get(url).status_code == 403
    assert client.get(session_url(make_session())).status_code == 403


def test_the_index_lists_upcoming_sessions_and_the_firms_pending_requests(client, world):
    session = make_session(requires_approval=True, capacity=10)
    own_request = service.register(session, world["mine"][0], actor=world["mine"][0])
    foreign_request = service.register(session, world["theirs"], actor=world["theirs"])
    client.force_login(world["manager"])

    body = client.get(reverse("firm_events:index")).content.decode()

    assert f'data-session="{session.pk}"' in body
    assert f'data-registration="{own_request.pk}"' in body
    assert f'data-registration="{foreign_request.pk}"' not in body
    assert world["theirs"].legal_name not in body


def test_the_session_page_shows_only_the_firms_registrations(client, world):
    session = make_session()
    service.register(session, world["mine"][0], actor=world["mine"][0])
    service.register(session, world["theirs"], actor=world["theirs"])
    client.force_login(world["manager"])

    body = client.get(session_url(session)).content.decode()

    assert world["mine"][0].legal_name in body
    assert world["theirs"].legal_name not in body
    # The checkbox list offers the firm's other active collectors, not those registered.
    assert f'value="{world["mine"][1].pk}"' in body
    assert f'value="{world["mine"][0].pk}"' not in body


def test_a_manager_bulk_registers_staff(client, world):
    session = make_session(capacity=2)
    client.force_login(world["manager"])

    response = client.post(
        session_url(session), {"user": [p.pk for p in world["mine"]]}, follow=True
    )

    states = sorted(Registration.objects.values_list("state", flat=True))
    assert states == sorted([S.BOOKED, S.BOOKED, S.WAITLISTED])
    assert set(Registration.objects.values_list("changes__via", flat=True)) == {ChangeVia.MANAGER}
    assert world["mine"][2].legal_name in response.content.decode()


def test_bulk_registration_refuses_another_firms_staff_without_naming_them(client, world):
    session = make_session()
    client.force_login(world["manager"])

    response = client.post(
        session_url(session), {"user": [world["mine"][0].pk, world["theirs"].pk]}, follow=True
    )

    assert Registration.objects.filter(user=world["mine"][0]).exists()
    assert not Registration.objects.filter(user=world["theirs"]).exists()
    body = response.content.decode()
    expected = ngettext(
        "%(count)d person is not an active collector of your firm.",
        "%(count)d people are not active collectors of your firm.",
        1,
    ) % {"count": 1}
    assert expected in body
    assert world["theirs"].legal_name not in body


@pytest.mark.parametrize(
    "value", [["abc"], [], ["-1"], ["99999999999999999999999"], ["²"], ["１"], ["0"], [" 1"]]
)
def test_bulk_registration_with_bad_input_says_so(client, world, value):
    session = make_session()
    client.force_login(world["manager"])

    response = client.post(session_url(session), {"user": value}, follow=True)

    assert response.status_code == 200
    assert msg("Choose at least one person from the list.") in response.content.decode()
    assert not Registration.objects.exists()


def test_a_manager_approves_and_declines_their_staffs_requests(client, world):
    session = make_session(requires_approval=True, capacity=5)
    first, second = world["mine"][:2]
    one = service.register(session, first, actor=first)
    two = service.register(session, second, actor=second)
    client.force_login(world["manager"])

    client.post(reverse("firm_events:approve", args=[one.pk]))
    client.post(reverse("firm_events:decline", args=[two.pk]), {"reason": "岗位调整"})

    one.refresh_from_db()
    two.refresh_from_db()
    assert one.state == S.BOOKED
    assert (two.state, two.changes.last().reason) == (S.CANCELLED, "岗位调整")
    # Answered once: a second approval changes nothing and says so.
    response = client.post(reverse("firm_events:approve", args=[one.pk]), follow=True)
    assert msg("This request has already been answered.") in response.content.decode()
    assert one.changes.count() == 2


def test_a_decline_reason_with_a_nul_is_refused_and_the_request_stays(client, world):
    session = make_session(requires_approval=True)
    person = world["mine"][0]
    request = service.register(session, person, actor=person)
    client.force_login(world["manager"])

    response = client.post(
        reverse("firm_events:decline", args=[request.pk]), {"reason": "岗位\x00调整"}, follow=True
    )

    assert response.status_code == 200
    expected = msg("Reason: %(error)s") % {"error": msg("Null characters are not allowed.")}
    assert expected in response.content.decode()
    request.refresh_from_db()
    assert request.state == S.REQUESTED
    assert request.changes.count() == 1


def test_bulk_outcomes_are_translated_messages(client, world):
    session = make_session(capacity=1)
    first, second, third = world["mine"]
    service.register(session, second, actor=second)  # already registered: refused in bulk
    client.force_login(world["manager"])

    response = client.post(session_url(session), {"user": [first.pk, second.pk]}, follow=True)

    body = response.content.decode()
    waitlisted = msg("%(name)s: %(state)s") % {"name": first.legal_name, "state": msg("Waitlisted")}
    refused = msg("%(name)s: %(problem)s") % {
        "name": second.legal_name,
        "problem": msg("You are already registered for this session."),
    }
    assert waitlisted in body and refused in body
    # In Chinese (the default) the separator is the full-width colon of the translation.
    assert f"{first.legal_name}：" in body


def test_another_firms_manager_gets_404s(client, world):
    session = make_session(requires_approval=True)
    person = world["mine"][0]
    request = service.register(session, person, actor=person)
    client.force_login(world["other_manager"])

    assert client.post(reverse("firm_events:approve", args=[request.pk])).status_code == 404
    assert client.post(reverse("firm_events:decline", args=[request.pk])).status_code == 404
    assert client.get(reverse("firm_events:approve", args=[request.pk])).status_code in (404, 405)
    request.refresh_from_db()
    assert request.state == S.REQUESTED


def test_approving_is_post_only_and_ids_must_be_numbers(client, world):
    client.force_login(world["manager"])
    assert client.get("/firm/events/registrations/abc/approve/").status_code == 404
    assert client.get("/firm/events/sessions/abc/").status_code == 404


def test_the_firm_dashboard_links_to_the_events_and_attendance_pages(client, world):
    client.force_login(world["manager"])
    body = client.get(reverse("dashboard:roster")).content.decode()
    assert reverse("firm_events:index") in body
    assert reverse("firm_attendance:overview") in body
