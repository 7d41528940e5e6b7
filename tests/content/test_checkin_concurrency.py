"""Races at the door: a double-tapped check-in, a phone scanning while the same person types
the code, a close while people check in. Row locks need PostgreSQL (SQLite serialises writes
and ignores SELECT ... FOR UPDATE), so these skip elsewhere, or fail under REQUIRE_SERVICES=1."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from content.attendance import checkin, marking
from content.models import ChangeVia, RegistrationChange, RegistrationState
from content.signals import attendance_changed
from tests.conftest import require_service
from tests.content.checkin_support import live_session, receiving, register

S = RegistrationState
THREADS = 8

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "concurrency tests need PostgreSQL (set DATABASE_URL)")


def race(actions: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    """Run each action in a thread of its own, all released at the same instant."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            outcome = action()
            with lock:
                results.append(outcome)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_simultaneous_check_ins_change_the_registration_once(collector):
    session = live_session()
    registration = register(session, collector)
    code = checkin.current_code(session)

    def by_qr():
        return checkin.check_in_with_token(code.token, collector).already

    def by_code():
        return checkin.check_in_with_digits(session, collector, code.digits).already

    with receiving(attendance_changed) as sent:
        results, errors = race([by_qr, by_code] * (THREADS // 2))
    assert errors == []
    assert sorted(results) == [False] + [True] * (THREADS - 1)
    changes = RegistrationChange.objects.filter(registration=registration, to_state=S.ATTENDED)
    assert changes.count() == 1
    assert len(sent) == 1


def test_closing_while_people_check_in_leaves_each_either_attended_or_absent(
    trainer, collector, other_collector, manager
):
    session = live_session()
    people = [collector, other_collector, manager]
    registrations = [register(session, person) for person in people]
    code = checkin.current_code(session)

    def check_in(person):
        def action():
            try:
                return checkin.check_in_with_digits(session, person, code.digits)
            except checkin.CheckinRefused as refused:
                return refused.reason

        return action

    results, errors = race(
        [check_in(person) for person in people]
        + [lambda: marking.close_session(session, actor=trainer)]
    )
    assert errors == []
    for registration in registrations:
        registration.refresh_from_db()
        assert registration.state in (S.ATTENDED, S.NO_SHOW)
        vias = list(registration.changes.values_list("via", flat=True))
        assert vias in ([ChangeVia.SELF, ChangeVia.CODE], [ChangeVia.SELF, ChangeVia.CLOSING])
    session.refresh_from_db()
    assert session.closed_at is not None
