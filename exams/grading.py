"""Marking answers and attempts. The scoring rule, in one place:

* Every choice has a Moodle-style *fraction*: 1 is fully right, 0 is wrong, negative values
  are penalties. For a multiple-choice question the right options share +100% (e.g. two right
  options at 0.5 each) and wrong options carry negative fractions (e.g. -1 or -0.5).
* A question's mark = its marks × the sum of the fractions of the chosen options, clamped to
  [0, 1] — never negative, never above full marks. Choosing nothing scores 0.
* Single-choice and true/false questions accept one choice; a response naming more than one
  option, or an option not on the paper, is treated as no answer (scores 0).
* An attempt's score is the sum of its question marks; percent = score / maximum × 100; it
  passes when percent ≥ the exam's pass mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
ONE = Decimal("1")
SINGLE_ANSWER_TYPES = {"single", "truefalse"}


def response_fraction(version: dict, response: list[int] | None) -> Decimal:
    """The fraction of full marks earned by ``response`` (choice ids) on a question version."""
    if not response:
        return ZERO
    fractions = {choice["id"]: Decimal(choice["fraction"]) for choice in version["choices"]}
    chosen = set(response)
    if not chosen <= fractions.keys():
        return ZERO
    if version["type"] in SINGLE_ANSWER_TYPES and len(chosen) != 1:
        return ZERO
    total = sum((fractions[choice_id] for choice_id in chosen), ZERO)
    return min(max(total, ZERO), ONE)


def question_mark(version: dict, response: list[int] | None, max_mark: Decimal) -> Decimal:
    return (max_mark * response_fraction(version, response)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def correct_choice_ids(version: dict) -> list[int]:
    """The options with a positive fraction (for review and analysis)."""
    return [c["id"] for c in version["choices"] if Decimal(c["fraction"]) > 0]


@dataclass(frozen=True)
class Result:
    score: Decimal
    max_score: Decimal
    percent: Decimal
    passed: bool


def result(marks: list[Decimal], max_marks: list[Decimal], pass_mark_percent: int) -> Result:
    score = sum(marks, ZERO)
    max_score = sum(max_marks, ZERO)
    percent = (score / max_score * 100) if max_score else ZERO
    percent = percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Result(
        score=score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        max_score=max_score,
        percent=percent,
        passed=percent >= pass_mark_percent,
    )
