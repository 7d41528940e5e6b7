"""The ledger under concurrency (PostgreSQL): eight deliveries of the same attendance at the
same instant credit its hours once; eight concurrent debits cannot take a ledger below zero.
Skipped on SQLite (no row locks), failed under REQUIRE_SERVICES=1."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from content.models import ChangeVia, Registration, RegistrationState
from courses import cpd
from courses.models import CPDEntry, CPDSource
from tests.conftest import require_service
from tests.factories import make_session

THREADS = 8
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "concurrency tests need PostgreSQL (set DATABASE_URL)")


def race(action: Callable[[], object]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            action()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_deliveries_credit_an_attendance_once(collector):
    session = make_session(hours=3)
    with transaction.atomic():
        registration = Registration(session=session, user=collector)
        registration.change_state(RegistrationState.BOOKED, via=ChangeVia.SELF)
        # Attended without the signal's own credit: the race below is the first delivery.
        Registration.objects.filter(pk=registration.pk).update(state=RegistrationState.ATTENDED)
    registration.refresh_from_db()

    errors = race(lambda: cpd.credit_attendance(Registration.objects.get(pk=registration.pk)))

    assert errors == []
    assert list(CPDEntry.objects.values_list("hours", flat=True)) == [Decimal("3.00")]


def test_concurrent_debits_cannot_go_below_zero(collector, trainer):
    today = timezone.localdate()
    CPDEntry.objects.create(
        user=collector,
        source=CPDSource.ADJUSTMENT,
        hours=Decimal(2),
        earned_on=today,
        reason="外部培训",
        created_by=trainer,
    )

    def debit():
        cpd.adjust(
            collector, Decimal(-1), offline=False, earned_on=today, reason="更正", actor=trainer
        )

    errors = race(debit)

    assert len(errors) == THREADS - 2 and all(isinstance(e, ValidationError) for e in errors)
    assert cpd.balances(collector)[0] == Decimal(0)
