"""The attempt service: drawing papers, the attempt rules, autosave, grading and closing."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exams import attempts
from exams.drawing import draw_paper
from exams.models import Attempt, AttemptStatus, QuestionVersion

from .factories import (
    fill_bank,
    make_bank,
    make_case,
    make_category,
    make_exam,
    make_question,
)


@pytest.fixture
def bank(db):
    return make_bank("合规题库")


def paper_question_ids(attempt: Attempt) -> list[int]:
    return [
        row.version.data["question_id"]
        for row in attempt.questions.select_related("version").order_by("position")
    ]


def right_choice(row) -> int:
    return next(c["id"] for c in row.version.data["choices"] if Decimal(c["fraction"]) > 0)


def wrong_choice(row) -> int:
    return next(c["id"] for c in row.version.data["choices"] if Decimal(c["fraction"]) <= 0)


# --- Drawing the paper ------------------------------------------------------------------------


def test_it_draws_the_number_of_questions_each_rule_asks_for(collector, bank):
    laws, conduct = make_category(bank, "法律"), make_category(bank, "行为规范")
    fill_bank(bank, 4, category=laws)
    fill_bank(bank, 4, category=conduct)
    exam = make_exam(
        [
            {"bank": bank, "category": laws, "count": 3},
            {"bank": bank, "category": conduct, "count": 2},
        ]
    )

    attempt = attempts.start_attempt(collector, exam)

    rows = list(attempt.questions.select_related("version").order_by("position"))
    assert [row.position for row in rows] == [1, 2, 3, 4, 5]
    categories = [
        laws.pk if row.version.question.category_id == laws.pk else conduct.pk for row in rows
    ]
    assert categories == [laws.pk] * 3 + [conduct.pk] * 2  # unshuffled: rule order


def test_a_category_rule_includes_its_sub_categories(collector, bank):
    parent = make_category(bank, "刑法")
    child = make_category(bank, "催收非法债务罪", parent=parent)
    grandchild = make_category(bank, "情节严重", parent=child)
    other = make_category(bank, "个人信息")
    wanted = [make_question(bank, c) for c in (parent, child, grandchild)]
    make_question(bank, other)
    exam = make_exam([{"bank": bank, "category": parent, "count": 3}])

    attempt = attempts.start_attempt(collector, exam)

    assert sorted(paper_question_ids(attempt)) == sorted(q.pk for q in wanted)


def test_it_draws_only_active_top_level_questions_of_the_asked_difficulty(collector, bank):
    hard = make_question(bank, difficulty="hard")
    make_question(bank, difficulty="easy")
    make_question(bank, difficulty="hard", active=False)
    case = make_case(bank, difficulty="easy")
    make_question(bank, difficulty="hard", parent=case)  # a sub-question is never drawn alone
    exam = make_exam([{"bank": bank, "difficulty": "hard", "count": 1}])

    attempt = attempts.start_attempt(collector, exam)

    assert paper_question_ids(attempt) == [hard.pk]


def test_a_case_counts_as_one_draw_and_brings_its_active_sub_questions_in_order(collector, bank):
    case = make_case(bank, subs=0)
    second = make_question(bank, parent=case, sort_order=2)
    first = make_question(bank, parent=case, sort_order=1)
    make_question(bank, parent=case, sort_order=3, active=False)
    exam = make_exam([{"bank": bank, "count": 1}])

    attempt = attempts.start_attempt(collector, exam)

    rows = list(attempt.questions.select_related("version", "case").order_by("position"))
    assert [row.version.data["question_id"] for row in rows] == [first.pk, second.pk]
    assert {row.case.data["question_id"] for row in rows} == {case.pk}


def test_a_question_is_never_drawn_twice_across_rules(collector, bank):
    laws = make_category(bank, "法律")
    fill_bank(bank, 3, category=laws)
    # Both rules can pick from the same three questions: together they must take all three.
    exam = make_exam(
        [{"bank": bank, "category": laws, "count": 2}, {"bank": bank, "count": 1}],
        shuffle_questions=True,
    )

    ids = paper_question_ids(attempts.start_attempt(collector, exam))

    assert len(ids) == len(set(ids)) == 3


def test_a_blueprint_that_cannot_be_filled_is_refused_with_a_clear_message(collector, bank):
    fill_bank(bank, 2)
    exam = make_exam([{"bank": bank, "count": 3}])

    with pytest.raises(attempts.PaperConfigurationError, match="3.*2"):
        attempts.start_attempt(collector, exam)
    assert not Attempt.objects.exists()


def test_an_exam_without_rules_cannot_start(collector):
    exam = make_exam([])
    with pytest.raises(attempts.PaperConfigurationError):
        attempts.start_attempt(collector, exam)


def test_the_seed_decides_the_draw_and_the_question_and_choice_order(collector, bank):
    fill_bank(bank, 12, choices=[(str(n), "1" if n == 0 else "0", "") for n in range(5)])
    exam = make_exam([{"bank": bank, "count": 10}], shuffle_questions=True, shuffle_choices=True)
    attempt = attempts.start_attempt(collector, exam)

    # Replaying the seed gives the same paper: a disputed attempt can be reconstructed.
    rng = random.Random(attempt.seed)
    expected = draw_paper(exam, rng)
    rows = list(attempt.questions.select_related("version").order_by("position"))
    assert [row.version_id for row in rows] == [version.pk for version, _case in expected]
    for row, (version, _case) in zip(rows, expected, strict=True):
        order = [choice["id"] for choice in version.data["choices"]]
        rng.shuffle(order)
        assert row.choice_order == order
    assert any(row.choice_order != sorted(row.choice_order) for row in rows)
    assert paper_question_ids(attempt) != sorted(paper_question_ids(attempt))


def test_true_false_keeps_its_order_when_choices_are_shuffled(collector, bank):
    fill_bank(bank, 5, type="truefalse")
    exam = make_exam([{"bank": bank, "count": 5}], shuffle_choices=True)

    attempt = attempts.start_attempt(collector, exam)

    for row in attempt.questions.select_related("version"):
        assert [c["text"] for c in row.version.data["choices"]] == ["对", "错"]
        assert row.choice_order == [c["id"] for c in row.version.data["choices"]]


def test_the_paper_is_frozen_against_later_edits(collector, bank):
    question = make_question(bank, stem="<p>原题</p>")
    exam = make_exam([{"bank": bank, "count": 1}])
    attempt = attempts.start_attempt(collector, exam)

    question.stem = "<p>改过的题</p>"
    question.save()
    question.choices.update(fraction=Decimal("0"))

    row = attempt.questions.select_related("version").get()
    assert row.version.data["stem"] == "<p>原题</p>"
    attempts.save_answer(attempt, 1, [right_choice(row)])
    assert attempts.submit_attempt(attempt).score == Decimal("1.00")


def test_an_unchanged_question_reuses_its_version(collector, other_collector, bank):
    make_question(bank)
    exam = make_exam([{"bank": bank, "count": 1}])
    attempts.start_attempt(collector, exam)
    attempts.start_attempt(other_collector, exam)
    assert QuestionVersion.objects.count() == 1


# --- The attempt rules --------------------------------------------------------------------------


def test_starting_again_resumes_the_attempt_in_progress(collector, bank):
    fill_bank(bank, 2)
    exam = make_exam([{"bank": bank, "count": 2}])
    first = attempts.start_attempt(collector, exam)
    assert attempts.start_attempt(collector, exam) == first
    assert Attempt.objects.count() == 1


def test_attempts_are_numbered_and_limited(collector, bank):
    fill_bank(bank, 2)
    exam = make_exam([{"bank": bank, "count": 2}], max_attempts=2)
    first = attempts.start_attempt(collector, exam)
    attempts.submit_attempt(first)
    second = attempts.start_attempt(collector, exam)
    attempts.submit_attempt(second)

    assert (first.number, second.number) == (1, 2)
    with pytest.raises(attempts.AttemptLimitReached, match="2"):
        attempts.start_attempt(collector, exam)


def test_zero_max_attempts_means_unlimited(collector, bank):
    fill_bank(bank, 1)
    exam = make_exam([{"bank": bank, "count": 1}], max_attempts=0)
    for _ in range(4):
        attempts.submit_attempt(attempts.start_attempt(collector, exam))
    assert Attempt.objects.filter(user=collector).count() == 4


def test_the_cooldown_runs_from_the_end_of_the_last_attempt(collector, bank):
    fill_bank(bank, 1)
    exam = make_exam([{"bank": bank, "count": 1}], cooldown_hours=24)
    start = timezone.now()
    attempt = attempts.start_attempt(collector, exam, start)
    attempts.submit_attempt(attempt, start + timedelta(minutes=10))

    with pytest.raises(attempts.CooldownActive):
        attempts.start_attempt(collector, exam, start + timedelta(hours=24))
    later = attempts.start_attempt(collector, exam, start + timedelta(hours=24, minutes=11))
    assert later.number == 2


def test_an_exam_outside_its_window_cannot_start(collector, bank):
    fill_bank(bank, 1)
    now = timezone.now()
    soon = make_exam([{"bank": bank, "count": 1}], available_from=now + timedelta(days=1))
    over = make_exam(
        [{"bank": bank, "count": 1}],
        available_from=now - timedelta(days=2),
        available_until=now - timedelta(days=1),
    )
    for exam in (soon, over):
        with pytest.raises(attempts.ExamUnavailable):
            attempts.start_attempt(collector, exam, now)


def test_an_unpublished_exam_cannot_start(collector, bank):
    fill_bank(bank, 1)
    exam = make_exam([{"bank": bank, "count": 1}], publish=False)
    with pytest.raises(attempts.ExamUnavailable):
        attempts.start_attempt(collector, exam)


def test_the_deadline_is_the_time_limit_but_never_after_the_exam_closes(collector, bank):
    fill_bank(bank, 1)
    now = timezone.now()
    roomy = make_exam([{"bank": bank, "count": 1}], time_limit_minutes=30)
    closing = make_exam(
        [{"bank": bank, "count": 1}],
        time_limit_minutes=30,
        available_until=now + timedelta(minutes=10),
    )
    assert attempts.start_attempt(collector, roomy, now).deadline == now + timedelta(minutes=30)
    assert attempts.start_attempt(collector, closing, now).deadline == now + timedelta(minutes=10)


# --- Saving answers -----------------------------------------------------------------------------


@pytest.fixture
def attempt(collector, bank):
    fill_bank(bank, 2)
    make_question(
        bank,
        type="multiple",
        choices=[("甲", "0.5", ""), ("乙", "0.5", ""), ("丙", "-1", "")],
    )
    exam = make_exam([{"bank": bank, "count": 3}], pass_mark_percent=60)
    return attempts.start_attempt(collector, exam)


def test_an_answer_is_saved_and_can_be_changed_or_cleared(attempt):
    row = attempt.questions.get(position=1)
    first, second = row.choice_order[:2]
    attempts.save_answer(attempt, 1, [first])
    attempts.save_answer(attempt, 1, [second])
    row.refresh_from_db()
    assert row.response == [second] and row.answered_at is not None

    attempts.save_answer(attempt, 1, [])
    row.refresh_from_db()
    assert row.response is None and row.answered_at is None


def test_an_option_of_another_question_is_refused(attempt):
    other = attempt.questions.get(position=2).choice_order[0]
    with pytest.raises(attempts.InvalidAnswer):
        attempts.save_answer(attempt, 1, [other])
    with pytest.raises(attempts.InvalidAnswer):
        attempts.save_answer(attempt, 99, [other])


def test_a_single_choice_question_takes_one_option(attempt):
    row = attempt.questions.get(position=1)
    with pytest.raises(attempts.InvalidAnswer):
        attempts.save_answer(attempt, 1, row.choice_order[:2])
    multiple = attempt.questions.get(position=3)
    attempts.save_answer(attempt, 3, multiple.choice_order[:2])


def test_answers_count_until_the_grace_after_the_deadline_then_the_attempt_closes(attempt):
    row = attempt.questions.get(position=1)
    in_grace = attempt.deadline + attempts.GRACE
    attempts.save_answer(attempt, 1, [right_choice(row)], in_grace)

    with pytest.raises(attempts.AttemptClosed):
        attempts.save_answer(attempt, 2, [row.choice_order[0]], in_grace + timedelta(seconds=1))

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.TIMED_OUT
    assert attempt.submitted_at == attempt.deadline
    assert attempt.score == Decimal("1.00")


def test_a_submitted_attempt_takes_no_more_answers(attempt):
    attempts.submit_attempt(attempt)
    row = attempt.questions.get(position=1)
    with pytest.raises(attempts.AttemptClosed, match="已经交卷"):
        attempts.save_answer(attempt, 1, [row.choice_order[0]])


# --- Submitting and closing ---------------------------------------------------------------------


def test_submitting_grades_every_question_with_the_scoring_rule(attempt):
    rows = {row.position: row for row in attempt.questions.select_related("version")}
    attempts.save_answer(attempt, 1, [right_choice(rows[1])])
    attempts.save_answer(attempt, 2, [wrong_choice(rows[2])])
    halves = [c["id"] for c in rows[3].version.data["choices"] if c["fraction"].startswith("0.5")]
    attempts.save_answer(attempt, 3, halves[:1])

    result = attempts.submit_attempt(attempt)

    assert result.status == AttemptStatus.SUBMITTED
    assert (result.score, result.max_score, result.percent) == (
        Decimal("1.50"),
        Decimal("3.00"),
        Decimal("50.00"),
    )
    assert result.passed is False
    marks = dict(attempt.questions.values_list("position", "mark"))
    assert marks == {1: Decimal("1"), 2: Decimal("0"), 3: Decimal("0.5")}


def test_submitting_twice_returns_the_first_result_unchanged(attempt):
    row = attempt.questions.select_related("version").get(position=1)
    first = attempts.submit_attempt(attempt)
    # Even if an answer sneaked into the table, the result is not recomputed.
    type(row).objects.filter(pk=row.pk).update(response=[right_choice(row)])
    again = attempts.submit_attempt(attempt, timezone.now() + timedelta(minutes=5))
    assert (again.score, again.submitted_at, again.status) == (
        first.score,
        first.submitted_at,
        first.status,
    )


def test_a_submission_after_the_deadline_is_marked_timed_out(attempt):
    late = attempts.submit_attempt(attempt, attempt.deadline + timedelta(seconds=5))
    assert late.status == AttemptStatus.TIMED_OUT


def test_closing_expired_attempts_grades_only_those_past_the_grace(
    collector, other_collector, bank
):
    fill_bank(bank, 1)
    exam = make_exam([{"bank": bank, "count": 1}], time_limit_minutes=10)
    now = timezone.now()
    old = attempts.start_attempt(collector, exam, now - timedelta(minutes=11))
    fresh = attempts.start_attempt(other_collector, exam, now - timedelta(minutes=10))

    assert attempts.close_expired_attempts(now) == 1
    assert attempts.close_expired_attempts(now) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == AttemptStatus.TIMED_OUT and old.score == Decimal("0.00")
    assert fresh.status == AttemptStatus.IN_PROGRESS


def test_an_expired_attempt_is_closed_before_a_new_one_starts(collector, bank):
    fill_bank(bank, 1)
    exam = make_exam([{"bank": bank, "count": 1}], time_limit_minutes=10)
    now = timezone.now()
    old = attempts.start_attempt(collector, exam, now - timedelta(hours=1))

    new = attempts.start_attempt(collector, exam, now)

    old.refresh_from_db()
    assert old.status == AttemptStatus.TIMED_OUT
    assert new.number == 2 and new.is_open
