"""Query budget of starting an attempt: the same at 10 or 50 questions, whether the questions'
versions already exist or some must be created (exam day: many candidates start at once)."""

from __future__ import annotations

import itertools

from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams import attempts
from exams.models import Question, QuestionVersion
from tests.conftest import make_user

from .factories import fill_bank, make_bank, make_case, make_exam

SIZES = (10, 50)
_emails = itertools.count(1)


def exams():
    """Two shuffled exams, each with one case (two sub-questions) and 10 or 50 plain questions."""
    cases, plain = make_bank(), make_bank()
    make_case(cases)
    fill_bank(plain, max(SIZES))
    return [
        make_exam(
            [{"bank": cases, "count": 1}, {"bank": plain, "count": size}],
            shuffle_questions=True,
            shuffle_choices=True,
        )
        for size in SIZES
    ]


def start(exam) -> tuple[int, attempts.Attempt]:
    """A new candidate starts ``exam``: the queries it took and the attempt."""
    user = make_user(f"candidate{next(_emails)}@example.cn", "考生")
    with CaptureQueriesContext(connection) as captured:
        attempt = attempts.start_attempt(user, exam)
    return len(captured), attempt


def frozen(attempt) -> dict[int, int]:
    """The paper's versions by question id."""
    return {
        row.version.question_id: row.version_id
        for row in attempt.questions.select_related("version")
    }


def test_a_start_costs_the_same_for_10_or_50_questions_once_their_versions_exist(db):
    small, large = exams()
    first = [start(exam)[1] for exam in (small, large)]  # creates the versions
    versions = QuestionVersion.objects.count()

    (small_count, small_again), (large_count, large_again) = start(small), start(large)

    assert small_count == large_count, (small_count, large_count)
    # Closing expired attempts, prerequisites, the user lock, the draw and the freeze (a
    # constant few), the attempt and its questions: a small constant.
    assert large_count <= 20, large_count
    # Unchanged questions reuse their versions: nothing new, the same rows as the first papers.
    assert QuestionVersion.objects.count() == versions
    assert frozen(large_again) == frozen(first[1])  # the large paper draws every question
    assert frozen(small_again).items() <= frozen(first[1]).items()
    assert large_again.questions.count() == 50 + 2  # the case brings both sub-questions


def test_a_start_freezing_edited_questions_costs_the_same_for_10_or_50_questions(db):
    small, large = exams()
    before = [start(exam)[1] for exam in (small, large)]
    Question.objects.update(name="改过的题目")  # every question now differs from its version

    small_count, small_after = start(small)
    Question.objects.update(name="又改过的题目")
    large_count, large_after = start(large)

    assert small_count == large_count, (small_count, large_count)
    old_versions = frozen(before[1])  # every question's version before the edits
    for new in (small_after, large_after):
        new_versions = frozen(new)
        assert all(new_versions[q] != old_versions[q] for q in new_versions)
    assert {
        row.version.data["name"] for row in large_after.questions.select_related("version")
    } == {"又改过的题目"}
    # The next version number: 3 for questions both edits' papers froze, 2 for the others.
    edited_twice = frozen(small_after)
    assert {
        version.question_id: version.number
        for version in QuestionVersion.objects.filter(pk__in=frozen(large_after).values())
    } == {q: 3 if q in edited_twice else 2 for q in frozen(large_after)}


def test_replaying_the_seed_gives_the_same_paper_in_the_same_order(db):
    """The bulk freeze keeps the draw reproducible: the paper follows the seed, not the order in
    which versions are read or created."""
    from random import Random

    from exams.drawing import draw_paper

    _small, large = exams()
    _count, attempt = start(large)

    replayed = draw_paper(large, Random(attempt.seed))

    paper = list(attempt.questions.order_by("position").values_list("version_id", "case_id"))
    assert [(v.pk, c.pk if c else None) for v, c in replayed] == paper
