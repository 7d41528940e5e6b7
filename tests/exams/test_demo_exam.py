"""The demo question bank and the exam 合规催收上岗考试: what seed_demo gives collectors."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from courses.demo import DemoContentError
from exams import attempts, grading
from exams.demo import ensure_demo_exam
from exams.demo_content import CASES, DE_ESCALATION, EXAM, QUESTIONS
from exams.models import (
    Choice,
    ExamIndexPage,
    ExamPage,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionType,
)
from exams.validation import validate_question
from exams.versions import snapshot

REGULATIONS_PATH = Path(__file__).resolve().parents[2] / "content" / "data" / "regulations.json"
REGULATIONS: list[dict] = json.loads(REGULATIONS_PATH.read_text(encoding="utf-8"))
LEGAL_CATEGORIES = {"治安管理处罚法", "刑法", "个人信息保护"}
ARTICLE_NUMBER = re.compile(r"第[一二三四五六七八九十百千零〇0-9]+条")
RICH_TEXT_TAGS = {"p", "b", "i", "ul", "ol", "li", "a"}
# As for the demo courses: no run of this many characters of any article in our own words.
QUOTE_WINDOW = 20
ONE = Decimal("1")
ZERO = Decimal("0")


def questions():
    return Question.objects.select_related("category", "regulation", "parent").prefetch_related(
        "choices"
    )


def fractions(question: Question) -> list[Decimal]:
    return [choice.fraction for choice in question.choices.all()]


def strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)


def tags_of(html: str) -> set[str]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def all_specs():
    for spec in QUESTIONS:
        yield spec
        yield from spec.get("sub_questions", [])


# Without the regulation library. This test comes before the first that uses ``built``: once
# built, the bank stays in the database until the module's last test.


def test_without_the_regulation_library_it_stops_and_creates_nothing(db):
    with pytest.raises(DemoContentError):
        ensure_demo_exam()
    assert not QuestionBank.objects.exists()
    assert not ExamPage.objects.exists()


# With the demo bank and exam


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker) -> Iterator[list[str]]:
    """What ``ensure_demo_exam`` reported, building the bank and exam once for the module (the
    build and the regulation library take seconds), as ``setUpTestData`` did: inside a
    transaction rolled back after the module's last test. Each test also asks for ``db``, its
    own transaction inside this one, so the edits below stay local."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_regulations", verbosity=0)
        yield ensure_demo_exam()
        transaction.set_rollback(True)


# The bank


def test_it_builds_a_bank_of_at_least_40_active_questions_in_six_categories(db, built):
    bank = QuestionBank.objects.get(name="合规催收题库")
    assert "question bank 合规催收题库" in built
    assert Question.objects.filter(bank=bank, active=True).count() >= 40
    names = set(bank.categories.values_list("name", flat=True))
    assert names == {
        "银行业监管规定",
        "治安管理处罚法",
        "刑法",
        "个人信息保护",
        "沟通降级",
        "综合案例",
    }
    assert not bank.categories.filter(parent__isnull=False).exists()


def test_the_bank_mixes_question_types_and_difficulties(db, built):
    top_level = Question.objects.filter(parent__isnull=True)
    types = Counter(top_level.values_list("type", flat=True))
    assert types["single"] > types["multiple"] + types["truefalse"]
    assert types["multiple"] >= 4 and types["truefalse"] >= 4 and types["case"] >= 1
    difficulties = Counter(Question.objects.values_list("difficulty", flat=True))
    assert set(difficulties) == {"easy", "medium", "hard"}
    assert min(difficulties.values()) >= 8


def test_every_legal_question_cites_an_article_in_force_and_names_it(db, built):
    for question in questions():
        if question.category.name in LEGAL_CATEGORIES:
            assert question.regulation is not None, question.idnumber
        if question.regulation is None:
            continue
        assert question.regulation.superseded_by_id is None, question.idnumber
        # The explanation says which article applies, in the library's own label.
        assert question.regulation.article_label in strip_tags(question.explanation), (
            question.idnumber
        )


def test_questions_citing_no_article_name_no_article_numbers(db, built):
    for question in questions().filter(regulation__isnull=True):
        for text in (question.stem, question.explanation):
            assert not ARTICLE_NUMBER.search(strip_tags(text)), question.idnumber


def test_regulator_summaries_are_labelled_as_such(db, built):
    for question in questions():
        explanation = strip_tags(question.explanation)
        if re.search(r"(办法|指引|通知|条例)》", explanation):
            assert "摘要，非原文】" in explanation, question.idnumber


def test_the_de_escalation_category_is_about_conduct_not_articles(db, built):
    category = QuestionCategory.objects.get(idnumber=DE_ESCALATION)
    assert category.questions.count() >= 8
    assert not category.questions.filter(regulation__isnull=False).exists()


def test_every_question_is_well_formed(db, built):
    for question in questions():
        values = fractions(question)
        parent_type = question.parent.type if question.parent else None
        assert (
            validate_question(
                question.type,
                [(choice.fraction, choice.text) for choice in question.choices.all()],
                parent_type=parent_type,
            )
            == []
        ), question.idnumber
        if question.type == "single":
            assert len(values) == 4, question.idnumber
            assert values.count(ONE) == 1 and values.count(ZERO) == 3, question.idnumber
        elif question.type == "multiple":
            assert sum(v for v in values if v > 0) == pytest.approx(ONE, abs=Decimal("0.0001"))
            assert all(v < 0 for v in values if v <= 0), f"{question.idnumber}: wrong must cost"
        elif question.type == "truefalse":
            texts = [choice.text for choice in question.choices.all()]
            assert texts == ["正确", "错误"], question.idnumber
            assert sorted(values) == [ZERO, ONE], question.idnumber
        else:
            assert question.type == "case" and values == [], question.idnumber
        assert question.stem.startswith("<p>") and question.explanation.startswith("<p>")
        assert tags_of(question.stem) | tags_of(question.explanation) <= RICH_TEXT_TAGS
        assert strip_tags(question.explanation).strip(), question.idnumber
        assert question.active and question.default_mark == ONE


def test_every_choice_of_a_scored_question_has_feedback(db, built):
    assert not Choice.objects.filter(feedback="").exists()


def test_each_case_brings_three_sub_questions_of_the_other_types(db, built):
    cases = Question.objects.filter(type="case")
    assert cases.count() >= 1
    for case in cases:
        assert case.parent is None and case.category.idnumber == CASES
        subs = list(case.sub_questions.order_by("sort_order"))
        assert len(subs) == 3, case.idnumber
        assert {sub.type for sub in subs} <= {"single", "multiple", "truefalse"}
        assert all(
            sub.bank_id == case.bank_id and sub.category_id == case.category_id for sub in subs
        )
        assert [sub.sort_order for sub in subs] == [1, 2, 3]
    assert not Question.objects.filter(parent__isnull=False).exclude(parent__type="case").exists()


def test_the_right_answers_score_full_marks_and_ticking_everything_does_not(db, built):
    for question in questions().exclude(type="case"):
        version = snapshot(question)
        right = grading.correct_choice_ids(version)
        everything = [choice["id"] for choice in version["choices"]]
        assert grading.question_mark(version, right, ONE) == ONE, question.idnumber
        assert grading.question_mark(version, everything, ONE) < ONE, question.idnumber


# The exam


def test_it_publishes_the_exam_with_the_required_settings(db, built):
    exam = ExamPage.objects.get(title="合规催收上岗考试")
    assert "exam 合规催收上岗考试 (6 rules)" in built
    assert exam.live and not exam.has_unpublished_changes
    assert isinstance(exam.get_parent().specific, ExamIndexPage)
    assert (
        exam.time_limit_minutes,
        exam.pass_mark_percent,
        exam.max_attempts,
        exam.cooldown_hours,
    ) == (45, 80, 3, 24)
    assert exam.shuffle_questions and exam.shuffle_choices
    assert exam.review_policy == "full"
    assert "45分钟" in exam.instructions and "80%" in exam.instructions
    assert exam.available_from is None and exam.available_until is None


def test_the_exam_draws_by_topic_and_every_rule_can_be_filled(db, built):
    exam = ExamPage.objects.get(title="合规催收上岗考试")
    rules = list(exam.rules.select_related("category").order_by("sort_order"))
    assert [(rule.category.name, rule.count) for rule in rules] == [
        ("银行业监管规定", 6),
        ("治安管理处罚法", 6),
        ("刑法", 5),
        ("个人信息保护", 5),
        ("沟通降级", 5),
        ("综合案例", 1),
    ]
    scored_items = 0
    for rule in rules:
        assert rule.difficulty == ""
        pool = Question.objects.filter(category=rule.category, active=True, parent__isnull=True)
        # More questions than the rule draws, so papers differ from one attempt to the next.
        assert pool.count() > rule.count, rule.category.name
        items = {q.sub_questions.count() if q.type == "case" else 1 for q in pool}
        assert len(items) == 1, f"{rule.category.name}: every draw must give the same count"
        scored_items += rule.count * items.pop()
    assert scored_items == 30


def test_every_paper_has_30_questions_from_every_topic(db, built):
    exam = ExamPage.objects.get(title="合规催收上岗考试")
    for seed in range(5):
        paper = attempts.draw_paper(exam, random.Random(seed))
        assert len(paper) == 30
        assert len({version.pk for version, _case in paper}) == 30
        topics = Counter(
            Question.objects.get(pk=version.data["question_id"]).category.name
            for version, _case in paper
        )
        assert topics == {
            "银行业监管规定": 6,
            "治安管理处罚法": 6,
            "刑法": 5,
            "个人信息保护": 5,
            "沟通降级": 5,
            "综合案例": 3,
        }
        assert sum(Decimal(version.data["mark"]) for version, _case in paper) == 30


# Another run


def test_a_second_run_creates_nothing(db, built):
    def counts() -> tuple[int, ...]:
        return (
            QuestionBank.objects.count(),
            QuestionCategory.objects.count(),
            Question.objects.count(),
            Choice.objects.count(),
            ExamPage.objects.count(),
        )

    before = counts()
    assert ensure_demo_exam() == []
    assert counts() == before
    assert before[2] == sum(1 for _ in all_specs())


def test_it_keeps_a_trainers_edits_on_a_later_run(db, built):
    question = Question.objects.get(idnumber="demo-psl-01")
    question.name = "新旧条文对照（已修改）"
    question.save()
    exam = ExamPage.objects.get(slug=EXAM["slug"])
    exam.title = "上岗考试（2026版）"
    exam.save_revision().publish()

    assert ensure_demo_exam() == []
    assert Question.objects.get(idnumber="demo-psl-01").name == "新旧条文对照（已修改）"
    assert ExamPage.objects.get(slug=EXAM["slug"]).title == "上岗考试（2026版）"


# Case titles (issue 11, item 8: "案例：案例：一次失控的外访")


def test_case_titles_carry_no_label_and_the_case_text_does_not_repeat_them(db, built):
    cases = Question.objects.filter(type=QuestionType.CASE)
    assert cases.count() == 3
    for case in cases:
        assert not case.name.startswith("案例"), case.name
        assert f"<b>{case.name}</b>" not in case.stem, case.name


def test_the_attempt_and_review_pages_label_the_case_once(client, db, built):
    from tests.conftest import make_user

    user = make_user("case.reader@example.com", "周八")
    exam = ExamPage.objects.get(slug=EXAM["slug"])
    attempt = attempts.start_attempt(user, exam)
    case = attempt.questions.exclude(case=None).select_related("case").first().case
    client.force_login(user)

    page = client.get(f"/exam-attempts/{attempt.pk}/").content.decode()
    attempts.submit_attempt(attempt)
    review = client.get(f"/exam-attempts/{attempt.pk}/review/").content.decode()

    for html in (page, review):
        assert f"案例：{case.data['name']}</p>" in html
        assert "案例：案例：" not in html
        # Labelled once and not repeated as a bold title in the case text; the name itself
        # may also occur in the story (组长要求“加大力度” does).
        assert html.count(f"案例：{case.data['name']}") == 1
        assert f"<b>{case.data['name']}</b>" not in html


def test_an_earlier_seeds_doubled_case_titles_are_repaired_unless_edited(db, built):
    first, second = Question.objects.filter(type=QuestionType.CASE).order_by("idnumber")[:2]
    for case in (first, second):
        case.name = f"案例：{case.name}"
        case.stem = f"<p><b>{case.name}</b></p>{case.stem}"
        case.save()
    second.explanation = "<p>培训师改过的解析</p>"
    second.name = "培训师改过的标题"
    second.save()

    assert ensure_demo_exam() == ["1 case titles without the doubled 案例： prefix"]
    first.refresh_from_db()
    assert first.name == "一次失控的外访"
    assert first.stem.startswith("<p>催收员小王")
    assert Question.objects.get(pk=second.pk).name == "培训师改过的标题"


# --- The data, as written (no database) ---------------------------------------------------------


def test_question_id_numbers_are_unique():
    idnumbers = [spec["idnumber"] for spec in all_specs()]
    assert len(idnumbers) == len(set(idnumbers))


def test_statute_text_appears_only_through_citations():
    windows = {
        text[i : i + QUOTE_WINDOW]
        for article in REGULATIONS
        for text in article["text"].split("\n")
        for i in range(len(text) - QUOTE_WINDOW + 1)
    }
    own = [strip_tags(EXAM["instructions"])]
    for spec in all_specs():
        own += [spec["name"], strip_tags(spec["stem"]), strip_tags(spec["explanation"])]
        own += [text for choice in spec["choices"] for text in (choice[0], choice[2])]
    for text in own:
        for i in range(len(text) - QUOTE_WINDOW + 1):
            assert text[i : i + QUOTE_WINDOW] not in windows, text


def test_the_exam_page_counts_a_case_as_its_sub_questions(client, db):
    from django.core.management import call_command

    from exams.demo import ensure_demo_exam
    from exams.drawing import paper_size
    from exams.models import ExamPage

    call_command("load_regulations", verbosity=0)
    ensure_demo_exam()
    exam = ExamPage.objects.get(title="合规催收上岗考试")
    assert paper_size(exam) == (30, 30)
    html = client.get(exam.url).content.decode()
    assert "<dd>30</dd>" in html
