"""Capacity under concurrency: 20 people racing for the last 5 places book exactly 5.

Needs PostgreSQL's row locks (SQLite serialises whole-database writes and ignores SELECT ...
FOR UPDATE, so it proves nothing there): skipped elsewhere, or failed under
REQUIRE_SERVICES=1. Each thread uses its own database connection and closes it when done.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from content.attendance import registration as service
from content.models import PLACE_STATES, Registration, RegistrationState
from tests.conftest import require_service
from tests.factories import UserFactory, make_session

from .attendance_helpers import fill

# The data migrations' rows (groups, the home page) must survive the flush that transactional
# tests end with.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
RACERS = 20


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        require_service(
            "PostgreSQL", "the capacity race needs PostgreSQL row locks (set DATABASE_URL)"
        )


def race(session, people) -> tuple[list[str], list[BaseException]]:
    barrier = threading.Barrier(len(people))
    states: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(person) -> None:
        try:
            barrier.wait()
            registration = service.register(session, person, actor=person)
            with lock:
                states.append(registration.state)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return states, errors


def test_twenty_people_racing_for_the_last_five_places_book_exactly_five():
    session = make_session(capacity=10)
    fill(session, 5)
    people = [UserFactory() for _ in range(RACERS)]

    states, errors = race(session, people)

    assert errors == []
    assert sorted(states).count(RegistrationState.BOOKED) == 5
    assert states.count(RegistrationState.WAITLISTED) == 15
    assert Registration.objects.filter(session=session, state__in=PLACE_STATES).count() == 10


def test_cancellations_racing_registrations_never_overbook():
    session = make_session(capacity=5)
    booked = fill(session, 5)
    people = [UserFactory() for _ in range(10)]
    barrier = threading.Barrier(len(people) + len(booked))
    errors: list[BaseException] = []

    def run(action) -> None:
        try:
            barrier.wait()
            action()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    actions = [lambda p=p: service.register(session, p, actor=p) for p in people]
    actions += [lambda r=r: service.cancel(r, actor=r.user) for r in booked]
    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    # Five places freed, ten people raced for them: all five taken, none twice.
    assert Registration.objects.filter(session=session, state__in=PLACE_STATES).count() == 5
    assert Registration.objects.filter(session=session, state="waitlisted").count() == 5
