"""Autosave as one SQL statement (exams/autosave.py): what the statement checks, through the
page's own JSON POST, and that an accepted autosave costs one query after the session and user
look-ups the middleware makes for every request."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams import attempts
from exams.models import Attempt, AttemptQuestion

from .factories import fill_bank, make_bank, make_exam

MULTIPLE = [("A", "0.5", ""), ("B", "0.5", ""), ("C", "-1", ""), ("D", "-1", "")]


@pytest.fixture
def attempt(start_in_english) -> Attempt:
    bank = make_bank()
    fill_bank(bank, 2)
    fill_bank(bank, 2, type="multiple", choices=MULTIPLE)
    return start_in_english(make_exam([{"bank": bank, "count": 4}], shuffle_choices=True))


def post(client, attempt: Attempt, position: int, choices: list[int]):
    return client.post(
        reverse("exams:save", args=[attempt.pk]),
        json.dumps({"position": position, "choices": choices}),
        content_type="application/json",
    )


def row(attempt: Attempt, kind: str) -> AttemptQuestion:
    return attempt.questions.filter(question_type=kind).order_by("position").first()


def test_an_accepted_autosave_is_one_statement_after_the_middlewares_look_ups(client, attempt):
    single = row(attempt, "single")
    post(client, attempt, single.position, single.choice_order[:1])  # warm per-process caches

    with CaptureQueriesContext(connection) as captured:
        response = post(client, attempt, single.position, single.choice_order[1:2])

    assert response.status_code == 200, response.content
    assert response.json()["saved"] is True and response.json()["answered"] is True
    exam_queries = [q["sql"] for q in captured.captured_queries if "exams_" in q["sql"]]
    assert len(exam_queries) == 1, exam_queries
    assert "UPDATE" in exam_queries[0] and "RETURNING" in exam_queries[0]
    assert not any("SAVEPOINT" in q["sql"] for q in captured.captured_queries)
    single.refresh_from_db()
    assert single.response == single.choice_order[1:2]
    assert single.answered_at is not None


def test_several_options_are_stored_once_each_in_paper_order(client, attempt):
    multiple = row(attempt, "multiple")
    chosen = [multiple.choice_order[2], multiple.choice_order[0], multiple.choice_order[2]]

    response = post(client, attempt, multiple.position, chosen)

    assert response.status_code == 200, response.content
    multiple.refresh_from_db()
    assert multiple.response == [multiple.choice_order[0], multiple.choice_order[2]]


def test_clearing_an_answer_leaves_the_question_unanswered(client, attempt):
    multiple = row(attempt, "multiple")
    post(client, attempt, multiple.position, multiple.choice_order[:2])

    response = post(client, attempt, multiple.position, [])

    assert response.json()["answered"] is False
    multiple.refresh_from_db()
    assert multiple.response is None and multiple.answered_at is None


def assert_refused_and_unchanged(client, attempt: Attempt, chosen: list[int], error: str) -> None:
    """With the single-answer question answered (its first option), saving ``chosen`` on it is
    a 400 saying ``error``, and the first option stays saved."""
    single = row(attempt, "single")
    post(client, attempt, single.position, single.choice_order[:1])

    response = post(client, attempt, single.position, chosen)

    assert response.status_code == 400
    assert response.json()["error"] == error
    single.refresh_from_db()
    assert single.response == single.choice_order[:1]


def test_two_options_on_a_single_choice_question_are_refused_and_change_nothing(client, attempt):
    two = row(attempt, "single").choice_order[:2]
    assert_refused_and_unchanged(client, attempt, two, "Choose only one answer for this question.")


def test_an_option_of_another_question_is_refused_and_changes_nothing(client, attempt):
    other = row(attempt, "multiple").choice_order[:1]
    error = "That answer is not one of this question's options."
    assert_refused_and_unchanged(client, attempt, other, error)


def test_someone_elses_attempt_is_not_found_and_keeps_its_answers(client, attempt, other_collector):
    single = row(attempt, "single")
    post(client, attempt, single.position, single.choice_order[:1])
    client.force_login(other_collector)

    response = post(client, attempt, single.position, single.choice_order[1:2])

    assert response.status_code == 404
    single.refresh_from_db()
    assert single.response == single.choice_order[:1]


def test_the_statement_honours_the_grace_then_the_attempt_closes(client, attempt):
    single = row(attempt, "single")
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=timezone.now() - attempts.GRACE + timedelta(seconds=5)
    )
    assert post(client, attempt, single.position, single.choice_order[:1]).status_code == 200

    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=timezone.now() - attempts.GRACE - timedelta(seconds=1)
    )
    response = post(client, attempt, single.position, single.choice_order[1:2])

    assert response.status_code == 409
    assert response.json()["redirect"] == reverse("exams:review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.status == "timed_out"
    single.refresh_from_db()
    assert single.response == single.choice_order[:1]


# Transactional: outside the test's own transaction, as a caller in production would be.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_inside_a_callers_transaction_the_commit_stays_synchronous(attempt):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    single = row(attempt, "single")
    with transaction.atomic():
        attempts.save_answer(attempt, single.position, single.choice_order[:1])
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
