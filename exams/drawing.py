"""Drawing a paper from an exam's blueprint, reproducibly from the attempt's seed.

Each rule draws ``count`` active top-level questions from its bank (a category rule includes its
sub-categories; a difficulty rule only that difficulty), never the same question twice across
rules. A case scenario counts as one draw and brings its active sub-questions, in their order,
right after each other. A question citing a superseded article is *withdrawn* from new papers
until a trainer updates it, and so is a case with such a sub-question (attempts already started
keep their frozen questions). The draw and the question order (when the exam shuffles
questions) come from the ``random.Random`` it is given, so replaying an attempt's seed gives the
same paper as long as the bank has not changed. Each question is frozen with
:func:`exams.versions.current_versions`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from .models import ExamPage, ExamRule, Question, QuestionCategory, QuestionType, QuestionVersion
from .versions import active_sub_questions, current_versions


class BlueprintError(Exception):
    """The blueprint cannot be filled from the banks; ``str(error)`` tells the user why."""


def draw_paper(
    exam: ExamPage, rng: random.Random
) -> list[tuple[QuestionVersion, QuestionVersion | None]]:
    """The paper as (question version, case version or None) pairs, in paper order.

    One query per rule to find candidates, then a constant number whatever the paper's size: the
    drawn questions with their choices (two), the cases' sub-questions with theirs (two, when
    there are cases), the latest versions (one), and when some question changed, inserting its
    new version and re-reading it (two).
    """
    rules = list(exam.rules.select_related("bank", "category").order_by("sort_order", "pk"))
    if not rules:
        raise BlueprintError(_("This exam has no questions yet. Please tell your trainer."))
    subtrees = _category_subtrees({rule.bank_id for rule in rules})
    used: set[int] = set()
    draws: list[int] = []
    for rule in rules:
        # The bank's own order, so an unshuffled paper reads as the bank does.
        candidates = _candidates(rule, subtrees).values_list("pk", flat=True)
        ids = [pk for pk in candidates if pk not in used]
        if len(ids) < rule.count:
            raise BlueprintError(
                _(
                    "This exam cannot start: it needs %(count)s questions from “%(source)s” "
                    "but only %(available)s are available. Please tell your trainer."
                )
                % {
                    "count": rule.count,
                    "source": rule.category.path if rule.category else rule.bank.name,
                    "available": len(ids),
                }
            )
        picked = [ids[i] for i in sorted(rng.sample(range(len(ids)), rule.count))]
        used.update(picked)
        draws.extend(picked)
    if exam.shuffle_questions:
        rng.shuffle(draws)

    questions = Question.objects.prefetch_related("choices").in_bulk(draws)
    cases = [questions[pk] for pk in draws if questions[pk].type == QuestionType.CASE]
    found = active_sub_questions(cases)
    subs_of = {case.pk: found.get(case.pk, []) for case in cases}
    # Frozen in question order, not the paper's (current_versions inserts new versions sorted by
    # question id): when many candidates start a fresh exam at once, their transactions insert
    # the same new versions in the same order and queue on the first one, where shuffled orders
    # would deadlock (PostgreSQL aborts one: a 500).
    to_freeze = [questions[pk] for pk in draws] + [s for subs in subs_of.values() for s in subs]
    versions = current_versions(to_freeze, subs_of)
    paper: list[tuple[QuestionVersion, QuestionVersion | None]] = []
    for pk in draws:
        if pk not in subs_of:
            paper.append((versions[pk], None))
            continue
        case = versions[pk]
        paper.extend((versions[sub.pk], case) for sub in subs_of[pk])
    return paper


def _withdrawn() -> Q:
    """Questions citing a superseded article, and cases with an active sub-question that does."""
    superseded = Q(regulation__superseded_by__isnull=False)
    return superseded | Q(
        Exists(Question.objects.filter(superseded, parent=OuterRef("pk"), active=True))
    )


def withdrawn(questions: QuerySet[Question]) -> QuerySet[Question]:
    """Those of ``questions`` no new paper may draw until updated (see the module docstring)."""
    return questions.filter(_withdrawn())


def _candidates(rule, subtrees: dict[int, set[int]]):
    """The questions a rule may draw: active, top-level, not withdrawn, matching its category
    and difficulty; a case only if it has active sub-questions."""
    has_active_subs = Exists(Question.objects.filter(parent=OuterRef("pk"), active=True))
    candidates = (
        Question.objects.filter(bank_id=rule.bank_id, active=True, parent__isnull=True)
        .filter(~Q(type=QuestionType.CASE) | Q(has_active_subs))
        .exclude(_withdrawn())
    )
    if rule.category_id:
        candidates = candidates.filter(category_id__in=subtrees[rule.category_id])
    if rule.difficulty:
        candidates = candidates.filter(difficulty=rule.difficulty)
    return candidates


def shortfalls(exam: ExamPage) -> list[str]:
    """Why a new paper of ``exam`` cannot be drawn now: one message per rule whose bank has
    fewer drawable questions than it asks for (withdrawn ones do not count). The rules are
    checked apart, so a question two rules share counts for both. One query per rule."""
    rules = list(exam.rules.select_related("bank", "category").order_by("sort_order", "pk"))
    subtrees = _category_subtrees({rule.bank_id for rule in rules})
    messages = []
    for rule in rules:
        available = _candidates(rule, subtrees).count()
        if available < rule.count:
            messages.append(
                _(
                    "“%(source)s” has %(available)s questions that new papers can draw, but a "
                    "rule asks for %(count)s (questions citing a superseded article are "
                    "withdrawn until updated)."
                )
                % {
                    "source": rule.category.path if rule.category else rule.bank.name,
                    "available": available,
                    "count": rule.count,
                }
            )
    return messages


def paper_size(exam: ExamPage) -> tuple[int, int]:
    """The fewest and most scored items a paper of this exam can have.

    A case scenario is one draw but several scored items (its sub-questions), so the size of
    a paper is not simply the sum of the rules' counts. One query per rule.
    """
    rules = list(exam.rules.all())
    subtrees = _category_subtrees({rule.bank_id for rule in rules})
    active_subs = Count("sub_questions", filter=Q(sub_questions__active=True))
    fewest = most = 0
    for rule in rules:
        sizes = sorted(
            subs if kind == QuestionType.CASE else 1
            for kind, subs in _candidates(rule, subtrees)
            .annotate(subs=active_subs)
            .values_list("type", "subs")
        )
        fewest += sum(sizes[: rule.count])
        most += sum(sizes[-rule.count :]) if rule.count else 0
    return fewest, most


def exams_able_to_draw(questions: Iterable[Question]) -> set[int]:
    """The exams with a rule that matches one of ``questions`` (a sub-question through its
    case, which must be active), whether or not the question is withdrawn now. Two queries;
    load the questions' cases with them (``select_related("parent")``)."""
    drawn = {(question.parent or question) for question in questions}
    banks = {question.bank_id for question in drawn}
    if not banks:
        return set()
    rules = list(ExamRule.objects.filter(bank_id__in=banks))
    subtrees = _category_subtrees(banks)
    return {
        rule.page_id
        for rule in rules
        for question in drawn
        if question.bank_id == rule.bank_id
        and question.active
        and (not rule.category_id or question.category_id in subtrees[rule.category_id])
        and (not rule.difficulty or question.difficulty == rule.difficulty)
    }


def _category_subtrees(bank_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each category's id mapped to its own and all its descendants' ids (one query)."""
    children: dict[int | None, list[int]] = {}
    rows = QuestionCategory.objects.filter(bank_id__in=bank_ids).values_list("pk", "parent_id")
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    subtrees: dict[int, set[int]] = {}
    for pk, _parent in rows:
        stack, seen = [pk], set()
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(children.get(node, []))
        subtrees[pk] = seen
    return subtrees
