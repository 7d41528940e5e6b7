"""exams.grading: the scoring rule, checked against marks worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams.grading import correct_choice_ids, question_mark, response_fraction, result

D = Decimal


def version(type: str, *fractions: str) -> dict:
    """A QuestionVersion.data-shaped dict; choice ids are 11, 12, 13, ..."""
    return {
        "type": type,
        "choices": [
            {"id": 11 + i, "text": f"选项{i}", "fraction": fraction, "feedback": ""}
            for i, fraction in enumerate(fractions)
        ],
    }


SINGLE = version("single", "1.0000000", "0.0000000", "-0.5000000")  # ids 11, 12, 13
TRUE_FALSE = version("truefalse", "0.0000000", "1.0000000")  # 11 = 对 (wrong), 12 = 错 (right)
# Two right options at 50% each, a -100% trap and a 0% distractor: ids 11, 12, 13, 14.
MULTIPLE = version("multiple", "0.5000000", "0.5000000", "-1.0000000", "0.0000000")
THIRDS = version("multiple", "0.3333333", "0.3333333", "0.3333333", "-0.5000000")


@pytest.mark.parametrize(
    ("response", "expected"),
    [([11], D("2.0000")), ([12], D("0.0000")), ([13], D("0.0000"))],
)
def test_a_single_choice_question_scores_the_chosen_option(response, expected):
    # The -50% option would be -1 mark; the mark never drops below 0.
    assert question_mark(SINGLE, response, D("2")) == expected


def test_a_true_false_question_scores_only_the_true_statement():
    assert question_mark(TRUE_FALSE, [12], D("1")) == D("1.0000")
    assert question_mark(TRUE_FALSE, [11], D("1")) == D("0.0000")


@pytest.mark.parametrize(
    ("response", "fraction", "mark"),
    [
        ([11, 12], D("1"), D("3.0000")),  # both right: 0.5 + 0.5
        ([11], D("0.5"), D("1.5000")),  # half right: 0.5 × 3
        ([11, 12, 14], D("1"), D("3.0000")),  # a 0% distractor costs nothing
        ([11, 12, 13], D("0"), D("0.0000")),  # 0.5 + 0.5 - 1 = 0
        ([11, 13], D("0"), D("0.0000")),  # 0.5 - 1 = -0.5, floored at 0
        ([13, 14], D("0"), D("0.0000")),  # -1 + 0, floored at 0
    ],
)
def test_a_multiple_choice_question_adds_the_fractions_of_the_chosen_options(
    response, fraction, mark
):
    assert response_fraction(MULTIPLE, response) == fraction
    assert question_mark(MULTIPLE, response, D("3")) == mark


def test_three_thirds_round_to_full_marks():
    # 3 × 0.9999999 = 2.9999997, rounded half-up to four places: 3.0000.
    assert response_fraction(THIRDS, [11, 12, 13]) == D("0.9999999")
    assert question_mark(THIRDS, [11, 12, 13], D("3")) == D("3.0000")
    # 1.5 × 0.3333333 = 0.49999995 -> 0.5000.
    assert question_mark(THIRDS, [11], D("1.5")) == D("0.5000")


def test_the_fraction_is_capped_at_full_marks():
    # A malformed version whose right options add up to 140% still earns at most 100%.
    generous = version("multiple", "0.7000000", "0.7000000", "0.0000000")
    assert response_fraction(generous, [11, 12]) == D("1")
    assert question_mark(generous, [11, 12], D("2")) == D("2.0000")


@pytest.mark.parametrize("response", [None, []])
def test_no_answer_scores_zero(response):
    assert response_fraction(SINGLE, response) == D("0")
    assert question_mark(MULTIPLE, response, D("3")) == D("0.0000")


@pytest.mark.parametrize("response", [[99], [11, 99], [12, 99]])
def test_a_response_naming_an_option_not_on_the_paper_scores_zero(response):
    # Even with the right option among them: the whole response is void.
    assert question_mark(MULTIPLE, response, D("3")) == D("0.0000")
    assert question_mark(SINGLE, response[:1] + [99], D("2")) == D("0.0000")


def test_several_options_on_a_single_answer_question_score_zero():
    assert question_mark(SINGLE, [11, 12], D("2")) == D("0.0000")
    assert question_mark(TRUE_FALSE, [11, 12], D("1")) == D("0.0000")


def test_an_option_named_twice_counts_once():
    assert question_mark(SINGLE, [11, 11], D("2")) == D("2.0000")
    assert question_mark(MULTIPLE, [11, 11], D("3")) == D("1.5000")


def test_the_correct_options_are_those_with_a_positive_fraction():
    assert correct_choice_ids(MULTIPLE) == [11, 12]
    assert correct_choice_ids(TRUE_FALSE) == [12]
    assert correct_choice_ids(THIRDS) == [11, 12, 13]


def test_an_attempt_passes_at_exactly_the_pass_mark():
    # 2 + 1.5 + 0 = 3.5 of 7 = 50%.
    outcome = result([D("2"), D("1.5"), D("0")], [D("2"), D("3"), D("2")], 50)
    assert (outcome.score, outcome.max_score, outcome.percent, outcome.passed) == (
        D("3.50"),
        D("7"),
        D("50.00"),
        True,
    )
    assert result([D("2"), D("1.5"), D("0")], [D("2"), D("3"), D("2")], 51).passed is False


def test_the_percentage_is_rounded_half_up_to_two_places():
    # 2 of 3 = 66.666...% -> 66.67; 1 of 3 -> 33.33.
    assert result([D("1"), D("1"), D("0")], [D("1")] * 3, 60).percent == D("66.67")
    assert result([D("1"), D("0"), D("0")], [D("1")] * 3, 60).percent == D("33.33")
    # Marks with four places are summed first, then rounded: 0.4999 + 0.0051 = 0.5050 -> 0.51.
    assert result([D("0.4999"), D("0.0051")], [D("1"), D("1")], 0).score == D("0.51")


def test_an_empty_paper_scores_zero_percent():
    outcome = result([], [], 60)
    assert (outcome.score, outcome.percent, outcome.passed) == (D("0.00"), D("0.00"), False)
