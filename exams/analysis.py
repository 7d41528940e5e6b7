"""Exam statistics for trainers, computed as Moodle's quiz statistics report computes them.

Pure computation over plain values (no queries): :mod:`exams.report_views` loads the rows in
a fixed number of queries and passes them here. The definitions follow Moodle's "Quiz
statistics calculations" (question/classes/statistics/questions/calculator.php):

* Only *finished* attempts count (submitted, or closed at the time limit). By default only each
  candidate's first finished attempt is analysed, as Moodle does: later attempts build on the
  first and break the independence item analysis assumes. ``AttemptScope.ALL`` treats every
  finished attempt as if a different person had made it (Moodle's "all attempts" option).
* An *item* is a question, not a position: papers are drawn from banks, so one question sits
  at different positions, and not every paper has it. An item's statistics use the attempts
  whose paper had it (``n``).
* For item i in attempt a: x = its mark (raw marks, as Moodle uses), T = the attempt's total
  (the sum of its question marks) and r = T − x, the rest of the test. An unanswered question
  has mark 0.
* Facility index F = mean(x / max mark) × 100 — Moodle's mean(x) / max, also right when an
  edited question carries different max marks on different papers.
* Discrimination index D = 100 × cov(x, r) / √(var(x) · var(r)): the Pearson correlation of
  the item with the rest of the test. Undefined (None) with fewer than two attempts or when
  either variance is 0.
* Discriminative efficiency DE = 100 × cov(x, r) / cov_max, where cov_max pairs the sorted
  item marks with the sorted rest-of-test marks: the largest covariance those two mark
  distributions allow. Undefined when cov_max is 0.

Covariances use n − 1 like Moodle (the ratios do not depend on it). Arithmetic is exact
(``Fraction``) until the square root, so a constant column has a variance of exactly 0.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from .grading import correct_choice_ids

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FINISHED_STATUSES = frozenset({"submitted", "timed_out"})
IN_PROGRESS_STATUS = "in_progress"
FACILITY_LOW = 5
FACILITY_HIGH = 95
EFFICIENCY_LOW = 15
BAND_WIDTH = 10
ZERO = Fraction(0)


class AttemptScope(models.TextChoices):
    FIRST = "first", _("First finished attempt of each candidate")
    ALL = "all", _("All finished attempts")


class Flag(models.TextChoices):
    """Why a question deserves a second look (Moodle's thresholds); reasons in FLAG_REASONS."""

    TOO_HARD = "too_hard", _("Too hard")
    TOO_EASY = "too_easy", _("Too easy")
    NEGATIVE_DISCRIMINATION = "negative_discrimination", _("Negative discrimination")
    LOW_EFFICIENCY = "low_efficiency", _("Low efficiency")


FLAG_REASONS = {
    Flag.TOO_HARD: _("Facility below 5%"),
    Flag.TOO_EASY: _("Facility above 95%"),
    Flag.NEGATIVE_DISCRIMINATION: _("Weaker candidates do better on it than stronger ones"),
    Flag.LOW_EFFICIENCY: _("Discriminative efficiency below 15%"),
}


@dataclass(frozen=True)
class AttemptRecord:
    """The parts of an attempt the statistics read."""

    id: int
    user_id: int
    number: int
    status: str
    percent: Decimal | None = None
    passed: bool | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True)
class ItemResponse:
    """One question of one paper (an ``AttemptQuestion`` row), keyed by its item."""

    attempt_id: int
    item: str
    position: int
    mark: Decimal | None
    max_mark: Decimal
    response: list[int] | None = None


@dataclass(frozen=True)
class ItemInfo:
    """What a report shows about an item, from its question versions (newest first)."""

    name: str
    type: str
    case_name: str = ""
    choices: tuple[tuple[int, str, bool], ...] = ()  # (choice id, text, correct)


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    count: int


@dataclass(frozen=True)
class ExamSummary:
    attempts: int
    finished: int
    in_progress: int
    candidates: int
    considered: int
    passed: int
    candidates_passed: int
    pass_rate: float | None
    mean_percent: float | None
    median_percent: float | None
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class ChoiceCount:
    id: int
    text: str
    correct: bool
    count: int
    percent: float


@dataclass(frozen=True)
class ItemStats:
    item: str
    name: str
    type: str
    case_name: str
    n: int
    facility: float | None
    discrimination: float | None
    efficiency: float | None
    flags: tuple[Flag, ...]
    choices: tuple[ChoiceCount, ...] = ()
    unanswered: int = 0
    position: float = field(default=0.0, compare=False)

    @property
    def flag_reasons(self) -> list[tuple[Flag, StrOrPromise]]:
        return [(flag, FLAG_REASONS[flag]) for flag in self.flags]

    @property
    def unanswered_percent(self) -> float:
        return 100 * self.unanswered / self.n if self.n else 0.0


def item_key(question_id: int | None, version_id: int) -> str:
    """Versions of one question share its key; a version without a question stands alone."""
    return f"q{question_id}" if question_id is not None else f"v{version_id}"


def describe_item(versions: Sequence[dict], case: dict | None = None) -> ItemInfo:
    """Name, type and the union of the choices of an item's versions (``versions`` newest
    first: the newest text wins; choices only older versions had are listed after)."""
    newest = versions[0]
    choices: dict[int, tuple[int, str, bool]] = {}
    for data in versions:
        correct = set(correct_choice_ids(data))
        for choice in data.get("choices", []):
            choices.setdefault(
                choice["id"], (choice["id"], choice["text"], choice["id"] in correct)
            )
    return ItemInfo(
        name=newest.get("name", ""),
        type=newest.get("type", ""),
        case_name=(case or {}).get("name", ""),
        choices=tuple(choices.values()),
    )


def select_attempts(attempts: Iterable[AttemptRecord], scope: str) -> list[AttemptRecord]:
    """The finished attempts to analyse: each candidate's first (lowest number), or all."""
    finished = [a for a in attempts if a.finished]
    if scope == AttemptScope.ALL:
        return sorted(finished, key=lambda a: a.id)
    first: dict[int, AttemptRecord] = {}
    for attempt in finished:
        if attempt.user_id not in first or attempt.number < first[attempt.user_id].number:
            first[attempt.user_id] = attempt
    return sorted(first.values(), key=lambda a: a.id)


def summarise(
    attempts: Sequence[AttemptRecord], considered: Sequence[AttemptRecord]
) -> ExamSummary:
    """Counts over every attempt; pass rate, mean, median and histogram over ``considered``."""
    percents = [float(a.percent or 0) for a in considered]
    passed = sum(1 for a in considered if a.passed)
    counts = [0] * (100 // BAND_WIDTH)
    for percent in percents:
        # 100% belongs to the top band, 90–100.
        counts[min(max(int(percent // BAND_WIDTH), 0), len(counts) - 1)] += 1
    return ExamSummary(
        attempts=len(attempts),
        finished=sum(1 for a in attempts if a.finished),
        in_progress=sum(1 for a in attempts if a.status == IN_PROGRESS_STATUS),
        candidates=len({a.user_id for a in attempts}),
        considered=len(considered),
        passed=passed,
        candidates_passed=len({a.user_id for a in attempts if a.finished and a.passed}),
        pass_rate=100 * passed / len(considered) if considered else None,
        mean_percent=statistics.fmean(percents) if percents else None,
        median_percent=float(statistics.median(percents)) if percents else None,
        bands=tuple(
            Band(low=i * BAND_WIDTH, high=(i + 1) * BAND_WIDTH, count=count)
            for i, count in enumerate(counts)
        ),
    )


def _mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, ZERO) / len(values)


def _covariance(xs: Sequence[Fraction], ys: Sequence[Fraction]) -> Fraction:
    mean_x, mean_y = _mean(xs), _mean(ys)
    return sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)), ZERO) / (
        len(xs) - 1
    )


def discrimination(marks: Sequence[Fraction], rest: Sequence[Fraction]) -> float | None:
    """100 × Pearson correlation of the item marks with the rest-of-test marks."""
    if len(marks) < 2:
        return None
    variances = _covariance(marks, marks) * _covariance(rest, rest)
    if not variances:
        return None
    return 100 * float(_covariance(marks, rest)) / math.sqrt(variances)


def efficiency(marks: Sequence[Fraction], rest: Sequence[Fraction]) -> float | None:
    """100 × cov(x, r) / the covariance of the sorted x paired with the sorted r."""
    if len(marks) < 2:
        return None
    maximum = _covariance(sorted(marks), sorted(rest))
    if not maximum:
        return None
    return 100 * float(_covariance(marks, rest) / maximum)


def flags_for(
    facility: float | None, discrimination: float | None, efficiency: float | None
) -> tuple[Flag, ...]:
    """Moodle's warning signs; an undefined statistic raises no flag."""
    found = []
    if facility is not None and facility < FACILITY_LOW:
        found.append(Flag.TOO_HARD)
    if facility is not None and facility > FACILITY_HIGH:
        found.append(Flag.TOO_EASY)
    if discrimination is not None and discrimination < 0:
        found.append(Flag.NEGATIVE_DISCRIMINATION)
    if efficiency is not None and efficiency < EFFICIENCY_LOW:
        found.append(Flag.LOW_EFFICIENCY)
    return tuple(found)


@dataclass
class _Cell:
    """An item within one attempt (normally one row; summed should a paper repeat it)."""

    mark: Fraction = ZERO
    max_mark: Fraction = ZERO
    chosen: set[int] = field(default_factory=set)
    answered: bool = False


def analyse_items(
    considered: Iterable[AttemptRecord],
    rows: Iterable[ItemResponse],
    info: Mapping[str, ItemInfo],
) -> list[ItemStats]:
    """Facility, discrimination, efficiency, flags and option counts, one per item, ordered
    by the item's mean position on the papers."""
    attempt_ids = {a.id for a in considered}
    totals: dict[int, Fraction] = defaultdict(Fraction)
    cells: dict[str, dict[int, _Cell]] = defaultdict(lambda: defaultdict(_Cell))
    positions: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.attempt_id not in attempt_ids:
            continue
        mark = Fraction(row.mark or 0)
        totals[row.attempt_id] += mark
        cell = cells[row.item][row.attempt_id]
        cell.mark += mark
        cell.max_mark += Fraction(row.max_mark)
        if row.response:
            cell.answered = True
            cell.chosen.update(row.response)
        positions[row.item].append(row.position)

    results = []
    for item, by_attempt in cells.items():
        described = info.get(item) or ItemInfo(name=item, type="")
        marks = [cell.mark for cell in by_attempt.values()]
        rest = [totals[attempt_id] - cell.mark for attempt_id, cell in by_attempt.items()]
        scaled = [cell.mark / cell.max_mark for cell in by_attempt.values() if cell.max_mark]
        facility = 100 * float(_mean(scaled)) if scaled else None
        d, de = discrimination(marks, rest), efficiency(marks, rest)
        n = len(by_attempt)
        choices = []
        for choice_id, text, correct in described.choices:
            count = sum(1 for cell in by_attempt.values() if choice_id in cell.chosen)
            choices.append(ChoiceCount(choice_id, text, correct, count, 100 * count / n))
        results.append(
            ItemStats(
                item=item,
                name=described.name,
                type=described.type,
                case_name=described.case_name,
                n=n,
                facility=facility,
                discrimination=d,
                efficiency=de,
                flags=flags_for(facility, d, de),
                choices=tuple(choices),
                unanswered=sum(1 for cell in by_attempt.values() if not cell.answered),
                position=statistics.fmean(positions[item]),
            )
        )
    return sorted(results, key=lambda s: (s.position, s.name, s.item))
