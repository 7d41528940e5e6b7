"""Questions citing a superseded article are withdrawn from new papers until a trainer updates
them (exams/drawing.py), and so are cases with such a sub-question. Through drawing, the exam
page (its question count and a refused start) and the question admin listing. Attempts already
started keep their questions."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from content.models import Regulation
from exams import attempts
from exams.drawing import BlueprintError, draw_paper, paper_size, withdrawn
from exams.models import Attempt, Question
from tests.conftest import signed_in

from .factories import make_bank, make_case, make_exam, make_question

pytestmark = pytest.mark.django_db

WITHDRAWN = "已撤下（引用的法条已被取代）"


def article(article_no: str, version: str, **fields) -> Regulation:
    return Regulation.objects.create(
        statute="测试法",
        short_name="测试法",
        article_label=f"第{article_no}条",
        article_no=article_no,
        topic="public-security-law",
        text=f"测试条文{article_no}。",
        source="synthetic test data",
        version=version,
        **fields,
    )


@pytest.fixture
def old():
    return article("42", "v2012")


@pytest.fixture
def new():
    return article("50", "v2025")


def supersede(old: Regulation, new: Regulation) -> None:
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])


@pytest.fixture
def bank(old, new):
    bank = make_bank()
    make_question(bank, name="引用旧条文", regulation=old)
    make_question(bank, name="引用新条文", regulation=new)
    make_question(bank, name="不引用法条")
    return bank


def drawn_names(exam) -> set[str]:
    return {version.data["name"] for version, _case in draw_paper(exam, random.Random(1))}


def test_a_question_citing_a_superseded_article_is_not_drawn(bank, old, new):
    exam = make_exam([{"bank": bank, "count": 2}])
    supersede(old, new)
    for seed in range(10):
        names = {v.data["name"] for v, _c in draw_paper(exam, random.Random(seed))}
        assert names == {"引用新条文", "不引用法条"}


def test_it_is_drawn_again_once_it_cites_the_new_version(bank, old, new):
    exam = make_exam([{"bank": bank, "count": 3}])
    supersede(old, new)
    with pytest.raises(BlueprintError, match="2"):
        draw_paper(exam, random.Random(1))
    Question.objects.filter(regulation=old).update(regulation=new)
    assert len(drawn_names(exam)) == 3


def test_a_case_with_a_sub_question_citing_a_superseded_article_is_withdrawn(old, new):
    bank = make_bank()
    case = make_case(bank, subs=2, name="案例")
    make_question(bank, name="单题")
    sub = case.sub_questions.first()
    sub.regulation = old
    sub.save()
    exam = make_exam([{"bank": bank, "count": 1}])
    supersede(old, new)
    assert paper_size(exam) == (1, 1)
    for seed in range(10):
        paper = draw_paper(exam, random.Random(seed))
        assert [v.data["name"] for v, _c in paper] == ["单题"]
    assert set(withdrawn(Question.objects.all())) == {case, sub}


def test_an_inactive_sub_question_does_not_withdraw_its_case(old, new):
    bank = make_bank()
    case = make_case(bank, subs=2, name="案例")
    case.sub_questions.filter(sort_order=0).update(regulation=old, active=False)
    supersede(old, new)
    assert case not in withdrawn(Question.objects.all())


def test_the_exam_page_counts_only_what_can_be_drawn_and_refuses_an_impossible_start(
    client, collector, bank, old, new
):
    exam = make_exam([{"bank": bank, "count": 3}], max_attempts=0)
    supersede(old, new)
    assert paper_size(exam) == (2, 2)
    client.force_login(collector)
    assert "<dd>2</dd>" in client.get(exam.url).content.decode()
    response = client.post(reverse("exams:start", args=[exam.pk]), follow=True)
    (message,) = response.context["messages"]
    assert "3" in str(message) and "2" in str(message)  # needs 3, only 2 can be drawn
    assert not Attempt.objects.exists()


def test_an_attempt_started_before_keeps_its_questions(collector, bank, old, new):
    exam = make_exam([{"bank": bank, "count": 3}], max_attempts=0)
    attempt = attempts.start_attempt(collector, exam)
    supersede(old, new)
    names = {row.version.data["name"] for row in attempt.questions.select_related("version")}
    assert "引用旧条文" in names
    attempt.refresh_from_db()
    assert attempt.questions.count() == 3


def test_the_question_listing_says_which_questions_are_withdrawn(client, trainer, bank, old, new):
    supersede(old, new)
    html = signed_in(client, trainer).get(reverse("exams_questions:index")).content.decode()
    assert html.count(WITHDRAWN) == 1
    row = next(part for part in html.split("<tr") if "引用旧条文" in part)
    assert WITHDRAWN in row


def test_the_exam_editor_warns_when_a_rule_cannot_be_filled(client, trainer, bank, old, new):
    exam = make_exam([{"bank": bank, "count": 3}], max_attempts=0)
    edit = reverse("wagtailadmin_pages:edit", args=[exam.pk])
    signed_in(client, trainer)
    assert not [m for m in client.get(edit).context["messages"] if m.level_tag == "warning"]
    supersede(old, new)
    response = client.get(edit)
    (warning,) = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert bank.name in warning and "2" in warning and "3" in warning
