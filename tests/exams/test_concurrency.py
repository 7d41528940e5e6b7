"""Races a real user produces: double-tapped Start, two tabs submitting, retried requests.

These need PostgreSQL's row locks (SQLite serialises whole-database writes and ignores
SELECT ... FOR UPDATE), so they are skipped elsewhere, or fail under REQUIRE_SERVICES=1.
Threads use their own connections; each closes it when done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from exams import attempts, grading
from exams.models import Attempt, AttemptStatus
from tests.conftest import make_user, require_service

from .factories import fill_bank, make_bank, make_exam

THREADS = 8

# The data migrations' rows (groups, the home page, the exam index) must survive the flush
# that transactional tests end with.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "concurrency tests need PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def exam(db):
    bank = make_bank()
    fill_bank(bank, 5)
    return make_exam([{"bank": bank, "count": 5}], shuffle_questions=True, shuffle_choices=True)


def race(action: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """Run ``action`` in THREADS threads released at the same instant."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
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

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_simultaneous_starts_create_one_attempt(collector, exam):
    results, errors = race(lambda: attempts.start_attempt(collector, exam).pk)

    assert errors == []
    assert len(set(results)) == 1
    assert Attempt.objects.filter(user=collector, exam=exam).count() == 1
    assert Attempt.objects.get().questions.count() == 5


def test_simultaneous_submits_grade_once(collector, exam):
    attempt = attempts.start_attempt(collector, exam)
    for row in attempt.questions.all():
        attempts.save_answer(attempt, row.position, row.choice_order[:1])
    now = timezone.now()
    real_result = grading.result
    calls = []

    def counting_result(*args, **kwargs):
        calls.append(1)
        return real_result(*args, **kwargs)

    with mock.patch.object(grading, "result", counting_result):
        results, errors = race(lambda: attempts.submit_attempt(attempt, now))

    assert errors == []
    assert len(calls) == 1
    assert {(r.status, r.score, r.submitted_at) for r in results} == {
        (AttemptStatus.SUBMITTED, results[0].score, now)
    }


def test_simultaneous_starts_after_the_last_allowed_attempt_create_nothing(collector, exam):
    exam.max_attempts = 1
    exam.save_revision().publish()
    attempts.submit_attempt(attempts.start_attempt(collector, exam))

    results, errors = race(lambda: attempts.start_attempt(collector, exam))

    assert results == []
    assert len(errors) == THREADS
    assert all(isinstance(error, attempts.AttemptLimitReached) for error in errors)
    assert Attempt.objects.filter(user=collector).count() == 1


def test_an_autosave_racing_a_submit_is_either_graded_or_refused(collector, exam):
    attempt = attempts.start_attempt(collector, exam)
    rows = list(attempt.questions.all())
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def save() -> None:
        try:
            barrier.wait()
            for row in rows:
                attempts.save_answer(attempt, row.position, row.choice_order[:1])
            outcomes["save"] = "saved"
        except attempts.AttemptClosed:
            outcomes["save"] = "refused"
        finally:
            connection.close()

    def submit() -> None:
        try:
            barrier.wait()
            outcomes["submit"] = attempts.submit_attempt(attempt)
        finally:
            connection.close()

    threads = [threading.Thread(target=save), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    # Every answer on the paper was graded: none landed after the marks were written.
    for row in attempt.questions.select_related("version"):
        expected = grading.question_mark(row.version.data, row.response, row.max_mark)
        assert row.mark == expected


def test_many_candidates_starting_a_fresh_shuffled_exam_at_once_all_get_a_paper(db):
    """Exam day at 9:00: the first starts of a newly published exam all freeze the same new
    question versions, each paper in its own shuffled order. None may fail (a deadlock there was
    a 500 for most candidates in the load test), and each question gets one version."""
    bank = make_bank()
    questions = fill_bank(bank, 20)
    fresh = make_exam([{"bank": bank, "count": 20}], shuffle_questions=True)
    candidates = iter([make_user(f"candidate{n}@example.com", f"考生{n}") for n in range(THREADS)])
    lock = threading.Lock()

    def start() -> int:
        with lock:
            user = next(candidates)
        return attempts.start_attempt(user, fresh).pk

    results, errors = race(start)

    assert errors == []
    assert len(set(results)) == THREADS
    assert Attempt.objects.filter(exam=fresh).count() == THREADS
    for question in questions:
        assert list(question.versions.values_list("number", flat=True)) == [1]
