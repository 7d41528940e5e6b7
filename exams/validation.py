"""What makes a question well-formed, as plain functions shared by the admin form and the importer.

The rules follow from the scoring rule in :mod:`exams.grading` (Moodle fractions, the mark
clamped to [0, 1]): every question must be answerable for full marks, and a wrong answer must
be possible.

* single choice: at least two choices, exactly one graded 1 (100%), no other positive grade
  (penalties are allowed);
* multiple choice: at least two choices, the positive grades add up to 1 (±0.0001, so three
  right options at 0.3333333 pass), and at least one wrong option (graded 0 or negative);
* true/false: exactly two choices, one graded 1 and one graded 0;
* case scenario: no choices of its own (its sub-questions carry them) and no parent;
* a sub-question belongs to a case scenario in the same bank, and is not a case itself;
* every grade lies in [-1, 1] and every choice has a text.

Each function returns messages (translated, in the active language): an empty list means valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import QuestionType

ONE = Decimal("1")
ZERO = Decimal("0")
SUM_TOLERANCE = Decimal("0.0001")

Choices = Sequence[tuple[Decimal, str]]


def validate_question(
    type: str,
    choices: Choices,
    *,
    parent_type: str | None = None,
    same_bank_as_parent: bool = True,
) -> list[str]:
    """Every problem with a question of ``type`` and its ``(fraction, text)`` choices.

    ``parent_type`` is the type of the question it belongs to (None for a top-level question);
    ``same_bank_as_parent`` whether that parent is in the question's bank.
    """
    return validate_choices(type, choices) + validate_placement(
        type, parent_type=parent_type, same_bank_as_parent=same_bank_as_parent
    )


def validate_choices(type: str, choices: Choices) -> list[str]:
    """The problems with the choices alone (what the admin shows next to the choices)."""
    fractions = [Decimal(fraction) for fraction, _text in choices]
    errors = []
    if any(not (text or "").strip() for _fraction, text in choices):
        errors.append(_("Every choice needs a text."))
    if any(not -ONE <= fraction <= ONE for fraction in fractions):
        errors.append(_("Each grade must be between -1 (-100%) and 1 (100%)."))

    if type == QuestionType.SINGLE:
        errors += _single_choice_errors(fractions)
    elif type == QuestionType.MULTIPLE:
        errors += _multiple_choice_errors(fractions)
    elif type == QuestionType.TRUE_FALSE:
        if len(fractions) != 2 or sorted(fractions) != [ZERO, ONE]:
            errors.append(
                _("A true/false question needs exactly two choices: one graded 1 and one graded 0.")
            )
    elif type == QuestionType.CASE:
        if fractions:
            errors.append(
                _("A case scenario has no choices of its own: its sub-questions carry them.")
            )
    else:
        errors.append(_("Unknown question type: %(type)s.") % {"type": type})
    return errors


def validate_placement(
    type: str, *, parent_type: str | None = None, same_bank_as_parent: bool = True
) -> list[str]:
    """The problems with where the question sits (top level, or inside a case)."""
    if parent_type is None:
        return []
    if type == QuestionType.CASE:
        return [_("A case scenario cannot belong to another case.")]
    errors = []
    if parent_type != QuestionType.CASE:
        errors.append(_("A sub-question must belong to a case scenario."))
    if not same_bank_as_parent:
        errors.append(_("A sub-question must be in the same question bank as its case."))
    return errors


def _single_choice_errors(fractions: list[Decimal]) -> list[str]:
    errors = []
    if len(fractions) < 2:
        errors.append(_("A single-choice question needs at least two choices."))
    full = [fraction for fraction in fractions if fraction == ONE]
    if len(full) != 1:
        errors.append(_("A single-choice question needs exactly one choice graded 1 (100%)."))
    if len([fraction for fraction in fractions if fraction > ZERO]) > len(full):
        errors.append(
            _("In a single-choice question only the correct choice may have a positive grade.")
        )
    return errors


def _multiple_choice_errors(fractions: list[Decimal]) -> list[str]:
    errors = []
    if len(fractions) < 2:
        errors.append(_("A multiple-choice question needs at least two choices."))
    total = sum((fraction for fraction in fractions if fraction > ZERO), ZERO)
    if abs(total - ONE) > SUM_TOLERANCE:
        errors.append(
            _(
                "The positive grades of a multiple-choice question must add up to 1 (100%%); "
                "now they add up to %(total)s."
            )
            % {"total": _format_fraction(total)}
        )
    if not any(fraction <= ZERO for fraction in fractions):
        errors.append(
            _("A multiple-choice question needs at least one wrong choice (graded 0 or negative).")
        )
    return errors


def _format_fraction(value: Decimal) -> str:
    """0.5000000 -> "0.5", 1.2000000 -> "1.2": short enough to read in a message."""
    text = format(value.normalize(), "f")
    return text if text not in {"-0", ""} else "0"
