"""exams.validation: the rules every saved or imported question must meet."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from exams.validation import validate_choices, validate_placement, validate_question


@pytest.fixture(autouse=True)
def english():
    # The messages are msgids in English; pin the language so assertions read plainly.
    with translation.override("en"):
        yield


def choices(*fractions: str) -> list[tuple[Decimal, str]]:
    return [(Decimal(fraction), f"选项{i}") for i, fraction in enumerate(fractions)]


def test_a_single_choice_question_with_one_right_answer_is_valid():
    assert validate_question("single", choices("1", "0", "0", "0")) == []


def test_a_single_choice_question_may_penalise_wrong_answers():
    assert validate_question("single", choices("1", "-0.5", "-1")) == []


def test_a_single_choice_question_needs_two_choices():
    assert validate_question("single", choices("1")) == [
        "A single-choice question needs at least two choices."
    ]


def test_a_single_choice_question_needs_exactly_one_full_mark_choice():
    expected = "A single-choice question needs exactly one choice graded 1 (100%)."
    assert expected in validate_question("single", choices("0", "0", "0"))
    assert expected in validate_question("single", choices("1", "1", "0"))


def test_a_single_choice_question_gives_no_partial_credit_to_other_choices():
    assert validate_question("single", choices("1", "0.5", "0")) == [
        "In a single-choice question only the correct choice may have a positive grade."
    ]


def test_a_multiple_choice_question_whose_right_answers_add_up_to_one_is_valid():
    assert validate_question("multiple", choices("0.5", "0.5", "-1", "0")) == []


def test_three_thirds_add_up_to_one_within_the_tolerance():
    # Moodle stores 1/3 as 0.3333333: the sum 0.9999999 is within ±0.0001 of 1.
    assert validate_question("multiple", choices("0.3333333", "0.3333333", "0.3333333", "0")) == []


def test_a_multiple_choice_question_whose_right_answers_do_not_add_up_to_one_is_refused():
    assert validate_question("multiple", choices("0.5", "0.4", "0")) == [
        "The positive grades of a multiple-choice question must add up to 1 (100%); "
        "now they add up to 0.9."
    ]
    assert "now they add up to 1.5." in validate_question("multiple", choices("1", "0.5", "0"))[0]


def test_a_multiple_choice_question_needs_a_wrong_choice():
    assert validate_question("multiple", choices("0.5", "0.5")) == [
        "A multiple-choice question needs at least one wrong choice (graded 0 or negative)."
    ]


def test_a_multiple_choice_question_needs_two_choices():
    assert "A multiple-choice question needs at least two choices." in validate_question(
        "multiple", choices("1")
    )


def test_a_true_false_question_has_one_true_and_one_false_choice():
    assert validate_question("truefalse", choices("0", "1")) == []
    message = "A true/false question needs exactly two choices: one graded 1 and one graded 0."
    for wrong in (choices("1", "1"), choices("1", "0", "0"), choices("1", "-1"), choices("1")):
        assert validate_question("truefalse", wrong) == [message]


def test_a_case_scenario_has_no_choices_of_its_own():
    assert validate_question("case", []) == []
    assert validate_question("case", choices("1", "0")) == [
        "A case scenario has no choices of its own: its sub-questions carry them."
    ]


def test_grades_must_lie_between_minus_one_and_one():
    assert "Each grade must be between -1 (-100%) and 1 (100%)." in validate_choices(
        "single", choices("1", "-1.5")
    )
    assert "Each grade must be between -1 (-100%) and 1 (100%)." in validate_choices(
        "multiple", choices("2", "-1")
    )


def test_every_choice_needs_a_text():
    assert validate_choices("single", [(Decimal("1"), "对"), (Decimal("0"), "  ")]) == [
        "Every choice needs a text."
    ]


def test_an_unknown_type_is_reported():
    assert validate_choices("essay", []) == ["Unknown question type: essay."]


def test_a_sub_question_belongs_to_a_case_in_the_same_bank():
    assert validate_question("single", choices("1", "0"), parent_type="case") == []
    assert validate_placement("single", parent_type="single") == [
        "A sub-question must belong to a case scenario."
    ]
    assert validate_placement("truefalse", parent_type="case", same_bank_as_parent=False) == [
        "A sub-question must be in the same question bank as its case."
    ]


def test_a_case_cannot_be_a_sub_question():
    assert validate_question("case", [], parent_type="case") == [
        "A case scenario cannot belong to another case."
    ]


def test_a_top_level_question_has_no_placement_problems():
    assert validate_placement("single") == []
    assert validate_placement("case") == []
