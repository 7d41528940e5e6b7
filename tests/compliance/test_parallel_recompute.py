"""The full recompute rated by several worker processes (lms/compliance/parallel.py).

On PostgreSQL (``DATABASE_URL``), with data from ``seed_bench`` (certificates of every status,
findings, assignments, CPD): the chunks are rated by forked workers, each on its own
connection, and the result is exactly what one process gives; a failing chunk stops the run
with its error; a second full run waits for the first. Elsewhere the run stays in one process.
"""

from __future__ import annotations

import os
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from lms.auditlog.models import AuditEvent
from lms.compliance import parallel, recompute
from lms.compliance.models import CollectorRating, FirmRating, RatingSnapshot

COLLECTORS = 120
CHUNK = 25  # 5 chunks or so: several per worker


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("worker processes rate chunks on PostgreSQL only (set DATABASE_URL)")


def seed() -> None:
    call_command("seed_bench", collectors=COLLECTORS, seed=3, force=True, stdout=StringIO())


def rating_events() -> int:
    return AuditEvent.objects.filter(event_type="rating.snapshots_written").count()


def other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def other_connection() -> BaseDatabaseWrapper:
    """A second connection to the test database, as another process would hold."""
    return connection.copy()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_rate_every_chunk_exactly_as_one_process_would(
    postgres, monkeypatch, tmp_path: Path
):
    seed()
    rated_by = tmp_path / "pids"
    rate = recompute.rate_full_chunk

    def record_pid(job):  # forked workers inherit this patch
        with rated_by.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return rate(job)

    monkeypatch.setattr(recompute, "rate_full_chunk", record_pid)
    events = rating_events()

    outcome = recompute.full(processes=2, chunk_size=CHUNK)

    pids = rated_by.read_text().split()
    chunks = -(-outcome.changed // CHUNK)
    assert len(pids) == chunks >= 4
    assert os.getpid() not in {int(pid) for pid in pids}
    assert len(set(pids)) == 2  # both workers took chunks
    assert outcome.changed == outcome.collectors == CollectorRating.objects.count()
    assert RatingSnapshot.objects.count() == outcome.changed
    assert rating_events() == events + chunks + 1  # one per chunk, one for the firms
    assert FirmRating.objects.count() == outcome.firms > 0
    assert other_sessions() == 0  # the workers closed their connections as they exited
    # Re-rating everyone in this process, reading every input again, finds nothing to change
    # or refresh: the workers wrote what one process writes, field for field.
    everyone = list(CollectorRating.objects.values_list("user_id", flat=True))
    again = recompute.for_users(everyone, reason="check")
    assert (again.collectors, again.changed, again.refreshed) == (len(everyone), 0, 0)
    # And a full run skips them all.
    assert recompute.full(processes=2, chunk_size=CHUNK).skipped == outcome.collectors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_chunk_stops_the_run_with_its_error_and_keeps_what_committed(
    postgres, monkeypatch
):
    seed()
    rate = recompute.rate_full_chunk

    def fail_on_third(job):
        if job.ids[0] == third_first_id:
            raise RuntimeError("disk full")
        return rate(job)

    due = recompute._population(timezone.localdate())  # nobody is rated yet
    third_first_id = due[2 * CHUNK]
    monkeypatch.setattr(recompute, "rate_full_chunk", fail_on_third)

    with pytest.raises(RuntimeError, match="disk full"):
        recompute.full(processes=2, chunk_size=CHUNK)

    rated = set(CollectorRating.objects.values_list("user_id", flat=True))
    assert not rated & set(due[2 * CHUNK : 3 * CHUNK])  # the failed chunk rolled back
    assert set(due[:CHUNK]) <= rated  # chunks before it had committed
    assert not FirmRating.objects.exists()  # the run stopped before the firms
    # The next run, with the fault gone, rates the rest and only the rest.
    monkeypatch.setattr(recompute, "rate_full_chunk", rate)
    outcome = recompute.full(processes=2, chunk_size=CHUNK)
    assert outcome.skipped == len(rated)
    assert CollectorRating.objects.count() == outcome.collectors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
# The test's own thread makes this process multi-threaded when the waiting run forks its workers
# (a command or a Celery worker process has no such thread).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_second_full_run_waits_for_the_first(postgres):
    seed()
    other = other_connection()
    try:
        with other.cursor() as cursor:  # a full run in progress elsewhere
            cursor.execute("SELECT pg_advisory_lock(%s)", [recompute.FULL_RUN_LOCK_KEY])
        result: list[recompute.Outcome] = []
        waiting = threading.Thread(target=lambda: result.append(run_and_close()))
        waiting.start()
        time.sleep(1.0)
        assert waiting.is_alive()
        assert not CollectorRating.objects.exists()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [recompute.FULL_RUN_LOCK_KEY])
        waiting.join(timeout=60)
        assert result and result[0].changed == CollectorRating.objects.count() > 0
    finally:
        other.close()


def run_and_close() -> recompute.Outcome:
    try:
        return recompute.full(processes=2, chunk_size=CHUNK)
    finally:
        connection.close()


@pytest.mark.django_db
def test_inside_a_transaction_or_on_sqlite_the_run_stays_in_one_process():
    assert parallel.usable(1) == 1
    with transaction.atomic():
        assert parallel.usable(4) == 1  # workers could not see uncommitted rows


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_zero_means_one_process_per_core_where_workers_may_run():
    expected = (os.cpu_count() or 1) if connection.vendor == "postgresql" else 1
    assert parallel.usable(0) == expected
    assert parallel.usable(3) == (3 if connection.vendor == "postgresql" else 1)


@pytest.mark.django_db
def test_the_command_refuses_a_negative_number_of_processes():
    with pytest.raises(CommandError, match="--processes"):
        call_command("recompute_ratings", processes=-1, stdout=StringIO())
