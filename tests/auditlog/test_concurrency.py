"""Concurrent actions on PostgreSQL append one chain: contiguous sequence numbers, no fork.

Threads each record events in their own transactions (their own connections), with a pause
between reading the head and writing the event, so that two appends overlap whenever they can.
With the advisory lock they queue and every action succeeds; with the lock patched out they
read the same head and collide (the second gets the same ``seq``, and only the primary key
stops a fork: the action fails), which shows the test exercises the race.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.db import connection as real_connection
from django.utils import timezone

from lms.auditlog import chain
from lms.auditlog.models import AuditEvent
from lms.auditlog.verification import verify_database

# serialized_rollback, as the suite's other transactional tests: the data migrations' rows are
# back after an earlier flush, and this test's own flush leaves no stray content types behind.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS = 4
EACH = 5


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the append lock is PostgreSQL's (SQLite serialises writers itself)")


@pytest.fixture
def slow_append(monkeypatch):
    """A pause after the head is read (record() takes the time right after reading it)."""
    now = timezone.now

    def slow_now():
        time.sleep(0.02)
        return now()

    monkeypatch.setattr(chain.timezone, "now", slow_now)


def run_in_threads(action: Callable[[int, int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        try:
            start.wait()
            for item in range(EACH):
                try:
                    action(number, item)
                except IntegrityError as error:
                    errors.append(error)
        finally:
            real_connection.close()  # this thread's connection

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def append(number: int, item: int) -> None:
    with transaction.atomic():
        chain.record(
            "regulations.loaded",
            subject=("content.regulation", number * 100 + item),
            actor=f"test.thread{number}",
            payload={"thread": number, "item": item},
        )


def test_parallel_actions_append_one_valid_chain(slow_append):
    assert run_in_threads(append) == []
    events = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _prev, _hash in events] == list(range(1, THREADS * EACH + 1))
    prev_hashes = [prev for _seq, prev, _hash in events]
    assert len(set(prev_hashes)) == len(prev_hashes)  # no two events on the same parent
    assert all(events[i][1] == events[i - 1][2] for i in range(1, len(events)))
    threads = set(AuditEvent.objects.values_list("actor_id", flat=True))
    assert threads == {f"test.thread{n}" for n in range(THREADS)}
    result = verify_database()
    assert (result.ok, result.events) == (True, THREADS * EACH), result.problem


class _WithoutTheLock:
    """django.db.connection as record() sees it, but not PostgreSQL: no advisory lock."""

    vendor = "none"

    def __getattr__(self, name: str):
        return getattr(real_connection, name)


def test_without_the_advisory_lock_appends_collide(slow_append, monkeypatch):
    monkeypatch.setattr(chain, "connection", _WithoutTheLock())
    errors = run_in_threads(append)
    assert errors, "no collision without the lock: the test would not catch a missing lock"
    assert all("auditlog_auditevent" in str(error) for error in errors)
    assert AuditEvent.objects.count() == THREADS * EACH - len(errors)  # actions lost
    assert verify_database().ok  # only the primary key kept the chain from forking
