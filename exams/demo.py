"""Builds the demo question bank and the exam 合规催收上岗考试 from ``exams.demo_content``.

Idempotent: a category, question (matched by its ID number in the bank) or exam (matched by
slug) that exists is left alone, since a trainer may have edited it. Regulations must be
loaded first (``load_regulations``): citations resolve against the library exactly as the
demo courses' do, and a missing article stops the build, inside one transaction, with a clear
error rather than a question citing nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from courses.demo import regulation_pk
from lms.lib.demo import DemoReport

from .demo_content import BANK, CATEGORIES, EXAM, QUESTIONS
from .models import (
    Choice,
    ExamIndexPage,
    ExamPage,
    ExamRule,
    Question,
    QuestionBank,
    QuestionCategory,
)


def ensure_demo_exam() -> list[str]:
    """Create the demo bank, its categories and questions, and publish the exam.

    Returns a line for each thing created; a second run returns an empty list.
    """
    created: list[str] = []
    with transaction.atomic():
        bank, bank_created = QuestionBank.objects.get_or_create(
            name=BANK["name"], defaults={"description": BANK["description"]}
        )
        if bank_created:
            created.append(f"question bank {bank.name}")
        categories = {spec["key"]: _ensure_category(bank, spec, created) for spec in CATEGORIES}

        existing = set(
            Question.objects.filter(bank=bank, parent__isnull=True).values_list(
                "idnumber", flat=True
            )
        )
        top_level = sub_questions = 0
        for spec in QUESTIONS:
            if spec["idnumber"] in existing:
                continue
            category = categories[spec["category"]]
            case = _create_question(bank, category, spec)
            for order, sub_spec in enumerate(spec.get("sub_questions", []), start=1):
                _create_question(bank, category, sub_spec, parent=case, sort_order=order)
                sub_questions += 1
            top_level += 1
        if top_level:
            created.append(
                f"{top_level} questions in {bank.name} (and {sub_questions} case sub-questions)"
            )
        repaired = _repair_case_titles(bank)
        if repaired:
            created.append(f"{repaired} case titles without the doubled 案例： prefix")

        if not ExamPage.objects.filter(slug=EXAM["slug"]).exists():
            exam = _create_exam(bank, categories)
            created.append(f"exam {exam.title} ({len(EXAM['rules'])} rules)")
    return created


# Demo databases seeded before the fix have case titles starting with the label the exam page
# adds itself ("案例：案例：一次失控的外访"), and the title repeated as the stem's first line.
_LEGACY_CASE_PREFIX = "案例："


def _repair_case_titles(bank: QuestionBank) -> int:
    """Fix the demo cases still exactly as an earlier seed wrote them; edited ones are left."""
    repaired = 0
    for spec in QUESTIONS:
        if spec["type"] != "case":
            continue
        legacy_name = _LEGACY_CASE_PREFIX + spec["name"]
        legacy_stem = f"<p><b>{legacy_name}</b></p>" + spec["stem"]
        repaired += Question.objects.filter(
            bank=bank, idnumber=spec["idnumber"], name=legacy_name, stem=legacy_stem
        ).update(name=spec["name"], stem=spec["stem"])
    return repaired


def _ensure_category(bank: QuestionBank, spec: dict, created: list[str]) -> QuestionCategory:
    """The top-level category for ``spec``: found by ID number (survives a trainer renaming
    it), then by name, else created."""
    category = QuestionCategory.objects.filter(bank=bank, idnumber=spec["key"]).first()
    if category is None:
        category, made = QuestionCategory.objects.get_or_create(
            bank=bank,
            parent=None,
            name=spec["name"],
            defaults={"info": spec["info"], "idnumber": spec["key"]},
        )
        if made:
            created.append(f"question category {category.name}")
    return category


def _create_question(
    bank: QuestionBank,
    category: QuestionCategory,
    spec: dict,
    parent: Question | None = None,
    sort_order: int = 0,
) -> Question:
    question = Question(
        bank=bank,
        category=category,
        parent=parent,
        type=spec["type"],
        name=spec["name"],
        idnumber=spec["idnumber"],
        stem=spec["stem"],
        explanation=spec["explanation"],
        regulation_id=regulation_pk(spec["regulation"]) if spec["regulation"] else None,
        difficulty=spec["difficulty"],
        sort_order=sort_order,
    )
    question.choices = [
        Choice(text=text, fraction=Decimal(fraction), feedback=feedback, sort_order=order)
        for order, (text, fraction, feedback) in enumerate(spec["choices"])
    ]
    question.save()  # saves the choices too (a ClusterableModel commits its child relations)
    if spec["tags"]:
        question.tags.add(*spec["tags"])
    return question


def _create_exam(bank: QuestionBank, categories: dict[str, QuestionCategory]) -> ExamPage:
    exam = ExamPage(
        title=EXAM["title"],
        slug=EXAM["slug"],
        instructions=EXAM["instructions"],
        time_limit_minutes=EXAM["time_limit_minutes"],
        pass_mark_percent=EXAM["pass_mark_percent"],
        max_attempts=EXAM["max_attempts"],
        cooldown_hours=EXAM["cooldown_hours"],
        shuffle_questions=EXAM["shuffle_questions"],
        shuffle_choices=EXAM["shuffle_choices"],
        review_policy=EXAM["review_policy"],
    )
    exam.rules = [
        ExamRule(bank=bank, category=categories[key], count=count, sort_order=order)
        for order, (key, count) in enumerate(EXAM["rules"])
    ]
    # The migration that creates the 考试 index runs wherever a home page exists; a missing
    # index is a broken site, so .get() fails loudly rather than skipping the exam.
    ExamIndexPage.objects.get().add_child(instance=exam)
    exam.save_revision().publish()
    return exam


def seed_exam(report: DemoReport) -> None:
    """seed_demo step (registered in ExamsConfig.ready)."""
    report.created_lines(ensure_demo_exam())
