"""exams.versions: a question is frozen into versions, so editing it never changes a past paper."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exams.grading import question_mark
from exams.models import Attempt, AttemptQuestion, Choice, Question, QuestionVersion
from exams.versions import current_version, fingerprint, snapshot
from tests.exams.factories import make_bank, make_case, make_exam, make_question

pytestmark = pytest.mark.django_db

MULTIPLE_CHOICES = [
    ("核实债务人身份", "0.5", "正确。"),
    ("告知催收机构名称", "0.5", "正确。"),
    ("向其邻居透露欠款", "-1", "错误：泄露个人信息。"),
]


@pytest.fixture
def bank():
    return make_bank("合规催收题库")


def fresh(question: Question) -> Question:
    """The question as papers freeze it: loaded from the database (Decimal places and all)."""
    return Question.objects.get(pk=question.pk)


@pytest.fixture
def question(bank) -> Question:
    created = make_question(
        bank,
        type="multiple",
        choices=MULTIPLE_CHOICES,
        name="首次联系",
        stem="<p>首次电话联系债务人时，应当做什么？</p>",
        explanation="<p>见《个人信息保护法》。</p>",
        difficulty="easy",
        default_mark="2",
    )
    return fresh(created)


def test_a_snapshot_holds_everything_grading_and_review_need(question):
    data = snapshot(question)
    choice_ids = list(question.choices.values_list("pk", flat=True))
    assert data == {
        "question_id": question.pk,
        "type": "multiple",
        "name": "首次联系",
        "stem": "<p>首次电话联系债务人时，应当做什么？</p>",
        "explanation": "<p>见《个人信息保护法》。</p>",
        "regulation_id": None,
        "difficulty": "easy",
        "mark": "2.00",
        "choices": [
            {
                "id": choice_ids[0],
                "text": "核实债务人身份",
                "fraction": "0.5000000",
                "feedback": "正确。",
            },
            {
                "id": choice_ids[1],
                "text": "告知催收机构名称",
                "fraction": "0.5000000",
                "feedback": "正确。",
            },
            {
                "id": choice_ids[2],
                "text": "向其邻居透露欠款",
                "fraction": "-1.0000000",
                "feedback": "错误：泄露个人信息。",
            },
        ],
        "sub_questions": [],
    }


def test_an_unchanged_question_reuses_its_version(question):
    first = current_version(question)
    again = current_version(fresh(question))
    assert again.pk == first.pk
    assert first.number == 1
    assert QuestionVersion.objects.filter(question=question).count() == 1
    assert first.fingerprint == fingerprint(snapshot(question))


def test_an_edit_creates_the_next_version(question):
    first = current_version(question)
    question.stem = "<p>首次联系债务人时，下列哪些做法合规？</p>"
    question.save()
    second = current_version(question)
    assert (first.number, second.number) == (1, 2)
    assert second.data["stem"] == "<p>首次联系债务人时，下列哪些做法合规？</p>"
    first.refresh_from_db()
    assert first.data["stem"] == "<p>首次电话联系债务人时，应当做什么？</p>"


def test_a_case_snapshot_includes_its_active_sub_questions_in_order(bank):
    case = make_case(bank, subs=0, name="失联债务人案例")
    second = make_question(bank, case.category, parent=case, sort_order=2, name="第二问")
    first = make_question(
        bank, case.category, type="truefalse", parent=case, sort_order=1, name="第一问"
    )
    make_question(bank, case.category, parent=case, sort_order=0, name="停用", active=False)

    data = current_version(fresh(case)).data
    assert data["type"] == "case"
    assert data["choices"] == []
    assert [sub["name"] for sub in data["sub_questions"]] == ["第一问", "第二问"]
    assert data["sub_questions"][0] == snapshot(fresh(first))
    assert [c["id"] for c in data["sub_questions"][1]["choices"]] == list(
        second.choices.values_list("pk", flat=True)
    )


def test_editing_a_sub_question_creates_a_new_case_version(bank):
    case = make_case(bank, subs=1)
    case = fresh(case)
    before = current_version(case)
    sub = case.sub_questions.get()
    sub.choices.update(fraction=Decimal("0"))
    Choice.objects.filter(pk=sub.choices.last().pk).update(fraction=Decimal("1"))
    after = current_version(case)
    assert after.number == before.number + 1


def test_deleting_a_question_keeps_its_versions(question):
    version = current_version(question)
    data = dict(version.data)
    question.delete()
    version.refresh_from_db()
    assert version.question is None
    assert version.data == data


def test_editing_a_question_never_changes_a_past_paper_or_its_score(question, collector):
    """End to end at the service level: a paper frozen on version 1 keeps its text, choices and
    score after the question's stem, choices and fractions are edited."""
    exam = make_exam()
    v1 = current_version(question)
    right, also_right, trap = (c["id"] for c in v1.data["choices"])
    now = timezone.now()
    attempt = Attempt.objects.create(
        user=collector, exam=exam, number=1, seed=7, started_at=now, deadline=now + timedelta(1)
    )
    response = [right, also_right]
    paper = AttemptQuestion.objects.create(
        attempt=attempt,
        position=1,
        version=v1,
        choice_order=[right, also_right, trap],
        response=response,
        mark=question_mark(v1.data, response, Decimal(v1.data["mark"])),
        max_mark=Decimal(v1.data["mark"]),
    )
    assert paper.mark == Decimal("2.0000")

    # The trainer rewrites the question: new stem, the second option becomes a trap, a new
    # right option replaces the old trap, and the marks change.
    question.stem = "<p>改写后的题干</p>"
    question.default_mark = Decimal("5")
    question.save()
    Choice.objects.filter(pk=also_right).update(fraction=Decimal("-1"), text="改为错误")
    Choice.objects.filter(pk=trap).delete()
    Choice.objects.create(question=question, text="新正确项", fraction=Decimal("0.5"))
    v2 = current_version(question)

    assert v2.number == 2
    assert question_mark(v2.data, response, Decimal(v2.data["mark"])) == Decimal("0.0000")

    paper.refresh_from_db()
    assert paper.version_id == v1.pk
    frozen = QuestionVersion.objects.get(pk=v1.pk).data
    assert frozen == v1.data
    assert frozen["stem"] == "<p>首次电话联系债务人时，应当做什么？</p>"
    assert [c["text"] for c in frozen["choices"]] == [
        "核实债务人身份",
        "告知催收机构名称",
        "向其邻居透露欠款",
    ]
    # Re-marking the old response against the version it was given gives the old score.
    assert question_mark(frozen, paper.response, paper.max_mark) == paper.mark == Decimal("2.0000")
