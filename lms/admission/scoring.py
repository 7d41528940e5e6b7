"""The published scoring method of the admission questionnaire.

Every question scores 0–100:

* a **choice** question scores the chosen option's points (unanswered: 0);
* a **judgement** question scores what the reviewer gives it (0–100; not yet scored: the total
  waits for it);
* a **metric** question (training readiness, re-assessments only) scores the measured value
  linearly between the value that scores 0 and the value that scores 100, clamped to 0–100
  (lower is better when the "100" value is the smaller). A first application has no platform
  data, so its metric questions are left out of the weighting.

A question whose evidence is required scores 0 while the evidence is missing. A section's score
is the weighted mean of its questions (question weights); the total is the weighted mean of the
sections (section weights), each rounded half-up to two decimals. The total suggests a
conclusion: at or above the questionnaire's score to admit → admitted; at or above its score to
admit with conditions → admitted with conditions; below → rejected. Any blocker answer suggests
rejection whatever the total; admitting despite one needs a second reviewer.

Pure: it reads the application's answers (one query with their questions and options) and
computes; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .models import (
    Answer,
    Application,
    Conclusion,
    EvidenceRule,
    Question,
    QuestionKind,
    ReviewKind,
    Section,
)

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QuestionScore:
    """One question as scored: ``score`` is None when it waits for a reviewer, and
    ``applicable`` is False for a metric question on a first application."""

    question: Question
    answer: Answer | None
    score: Decimal | None
    applicable: bool = True
    blocker: bool = False
    missing_evidence: bool = False


@dataclass
class SectionScore:
    section: Section
    questions: list[QuestionScore] = field(default_factory=list)
    score: Decimal | None = None

    @property
    def weight(self) -> int:
        return self.section.weight


@dataclass
class Result:
    """The scores of one application: per section and in total, the blockers, and the
    conclusion they suggest. ``total`` is None until every applicable question is scored."""

    sections: list[SectionScore]
    total: Decimal | None
    blockers: list[QuestionScore]
    admit_score: Decimal
    conditional_score: Decimal

    @property
    def complete(self) -> bool:
        return self.total is not None

    @property
    def suggestion(self) -> str | None:
        if self.blockers:
            return Conclusion.REJECTED
        if self.total is None:
            return None
        if self.total >= self.admit_score:
            return Conclusion.ADMITTED
        if self.total >= self.conditional_score:
            return Conclusion.CONDITIONAL
        return Conclusion.REJECTED

    def snapshot(self) -> list[dict]:
        """The section scores as stored with a decision (JSON)."""
        return [
            {
                "section": entry.section.title,
                "weight": entry.weight,
                "score": None if entry.score is None else str(entry.score),
            }
            for entry in self.sections
        ]


def metric_score(question: Question, value: Decimal) -> Decimal:
    """``value`` mapped linearly from ``metric_zero`` (0) to ``metric_full`` (100), clamped."""
    zero, full = question.metric_zero, question.metric_full
    if zero is None or full is None or zero == full:
        return HUNDRED if full is not None and value >= full else Decimal(0)
    fraction = (value - zero) / (full - zero)
    return rounded(min(HUNDRED, max(Decimal(0), fraction * HUNDRED)))


def counts_in(question: Question, review_kind: str) -> bool:
    """Whether ``question`` can count in the weighting of a ``review_kind`` review: metric
    questions only on a re-assessment (where they also need a measured value)."""
    return question.kind != QuestionKind.METRIC or review_kind == ReviewKind.REASSESSMENT


def section_shares(sections: list[Section], review_kind: str) -> list[Decimal | None]:
    """Each section's share (%) of the total in a ``review_kind`` review, in ``sections``'
    order: its weight over the weights of the sections with a question that counts
    (:func:`counts_in`); None for a section left out."""
    counted = [
        section.weight if any(counts_in(q, review_kind) for q in section.questions.all()) else None
        for section in sections
    ]
    total = sum(weight for weight in counted if weight is not None)
    return [None if weight is None or not total else HUNDRED * weight / total for weight in counted]


def score_question(
    application: Application, question: Question, answer: Answer | None
) -> QuestionScore:
    if question.kind == QuestionKind.METRIC:
        if (
            not counts_in(question, application.review_kind)
            or answer is None
            or answer.metric_value is None
        ):
            return QuestionScore(question, answer, None, applicable=False)
        return QuestionScore(question, answer, metric_score(question, answer.metric_value))
    missing = question.evidence == EvidenceRule.REQUIRED and not (answer and answer.evidence)
    if question.kind == QuestionKind.JUDGEMENT:
        score = answer.reviewer_score if answer is not None else None
        if missing:
            score = Decimal(0)
        return QuestionScore(question, answer, score, missing_evidence=missing)
    option = answer.option if answer is not None else None
    blocker = bool(option and option.is_blocker)
    score = Decimal(0) if option is None or missing else option.points
    return QuestionScore(question, answer, score, blocker=blocker, missing_evidence=missing)


def weighted_mean(pairs: list[tuple[int, Decimal]]) -> Decimal | None:
    total_weight = sum(weight for weight, _ in pairs)
    if not total_weight:
        return None
    return rounded(sum((weight * score for weight, score in pairs), Decimal(0)) / total_weight)


def score_application(application: Application) -> Result:
    """Score ``application`` on its questionnaire by the method above."""
    questionnaire = application.questionnaire
    answers = {
        answer.question_id: answer for answer in application.answers.select_related("option")
    }
    sections = list(
        questionnaire.sections.prefetch_related("questions__options").order_by("sort_order", "pk")
    )
    results: list[SectionScore] = []
    blockers: list[QuestionScore] = []
    complete = True
    for section in sections:
        entry = SectionScore(section)
        for question in sorted(section.questions.all(), key=lambda q: (q.sort_order or 0, q.pk)):
            scored = score_question(application, question, answers.get(question.pk))
            entry.questions.append(scored)
            if scored.blocker:
                blockers.append(scored)
        applicable = [q for q in entry.questions if q.applicable]
        if any(q.score is None for q in applicable):
            complete = False
        else:
            entry.score = weighted_mean(
                [(q.question.weight, q.score) for q in applicable if q.score is not None]
            )
        results.append(entry)
    total = None
    if complete:
        total = weighted_mean([(s.weight, s.score) for s in results if s.score is not None])
    return Result(
        sections=results,
        total=total,
        blockers=blockers,
        admit_score=questionnaire.admit_score,
        conditional_score=questionnaire.conditional_score,
    )
