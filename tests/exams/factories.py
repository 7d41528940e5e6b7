"""Builders for exam tests: banks, questions with weighted choices, and published exam pages.

Other exam test modules import these; keep the signatures stable.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from exams.models import (
    Choice,
    ExamIndexPage,
    ExamPage,
    ExamRule,
    Question,
    QuestionBank,
    QuestionCategory,
)

_counter = itertools.count(1)

# (text, fraction, feedback)
SINGLE_CHOICES = [
    ("可以，在合理时间内联系", "1", "正确：在合理时间内联系是允许的。"),
    ("可以，深夜反复拨打", "0", "错误：深夜反复拨打构成骚扰。"),
    ("可以，联系其同事施压", "0", "错误：不得向无关第三方透露债务。"),
]
TRUE_FALSE_CHOICES = [("对", "0", "错误。"), ("错", "1", "正确。")]


def make_bank(name: str | None = None) -> QuestionBank:
    return QuestionBank.objects.create(name=name or f"题库{next(_counter)}")


def make_category(
    bank: QuestionBank, name: str | None = None, parent: QuestionCategory | None = None
) -> QuestionCategory:
    return QuestionCategory.objects.create(
        bank=bank, parent=parent, name=name or f"分类{next(_counter)}"
    )


def make_question(
    bank: QuestionBank,
    category: QuestionCategory | None = None,
    type: str = "single",
    choices: list[tuple[str, str | Decimal | float, str]] | None = None,
    explanation: str = "",
    regulation=None,
    *,
    stem: str | None = None,
    name: str | None = None,
    difficulty: str = "medium",
    default_mark: str | Decimal = "1",
    active: bool = True,
    parent: Question | None = None,
    sort_order: int = 0,
) -> Question:
    """A question with its choices, given as ``(text, fraction, feedback)`` triples.

    Without a category it goes into the bank's first top-level category (created if needed).
    A ``case`` question takes no choices; add sub-questions with ``parent=case``.
    """
    if category is None:
        category = QuestionCategory.objects.filter(
            bank=bank, parent__isnull=True
        ).first() or make_category(bank, "默认")
    number = next(_counter)
    if choices is None:
        choices = (
            []
            if type == "case"
            else (TRUE_FALSE_CHOICES if type == "truefalse" else SINGLE_CHOICES)
        )
    question = Question(
        bank=bank,
        category=category,
        type=type,
        name=name or f"题目{number}",
        stem=stem if stem is not None else f"<p>第{number}题：催收时可以怎样联系债务人？</p>",
        explanation=explanation,
        regulation=regulation,
        difficulty=difficulty,
        default_mark=Decimal(str(default_mark)),
        active=active,
        parent=parent,
        sort_order=sort_order,
    )
    question.save()
    for order, (text, fraction, feedback) in enumerate(choices):
        Choice.objects.create(
            question=question,
            text=text,
            fraction=Decimal(str(fraction)),
            feedback=feedback,
            sort_order=order,
        )
    return question


def make_case(
    bank: QuestionBank, category: QuestionCategory | None = None, subs: int = 2, **fields
) -> Question:
    """A case scenario with ``subs`` single-choice sub-questions (sort_order 0, 1, ...)."""
    fields.setdefault("stem", "<p>案例：债务人张某逾期三个月，多次失联。</p>")
    case = make_question(bank, category, "case", **fields)
    for order in range(subs):
        make_question(bank, case.category, "single", parent=case, sort_order=order)
    return case


def exam_index() -> ExamIndexPage:
    return ExamIndexPage.objects.get()


def make_exam(
    rules: list[dict] | None = None, *, title: str | None = None, publish: bool = True, **fields
) -> ExamPage:
    """A published exam under the exam index, drawing per ``rules``.

    Each rule is a dict of :class:`ExamRule` fields: ``{"bank": bank, "count": 5}``, optionally
    ``category`` and ``difficulty``. Other keyword arguments set ExamPage fields; by default
    questions and choices are not shuffled, so tests can predict the paper.
    """
    number = next(_counter)
    fields.setdefault("shuffle_questions", False)
    fields.setdefault("shuffle_choices", False)
    exam = ExamPage(
        title=title or f"合规考试{number}", slug=f"exam-{number}", live=publish, **fields
    )
    exam.rules = [ExamRule(sort_order=i, **rule) for i, rule in enumerate(rules or [])]
    exam_index().add_child(instance=exam)
    revision = exam.save_revision()
    if publish:
        revision.publish()
    return exam


def fill_bank(bank: QuestionBank, count: int, **fields) -> list[Question]:
    return [make_question(bank, **fields) for _ in range(count)]
