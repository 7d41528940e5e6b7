"""Question banks in the Wagtail admin: who may manage them, and what the editor lets through."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ReferenceIndex
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from content.models import Regulation
from exams.grading import question_mark
from exams.models import Choice, Question, QuestionBank, QuestionCategory, QuestionVersion
from exams.versions import current_version
from tests.conftest import activate_totp
from tests.exams.factories import make_bank, make_case, make_category, make_exam, make_question

pytestmark = pytest.mark.django_db

QUESTIONS = "exams_questions"
CATEGORIES = "exams_question_categories"
BANKS = "exams_question_banks"


def url(viewset: str, view: str, *args) -> str:
    return reverse(f"{viewset}:{view}", args=args)


def signed_in(client, user):
    # English UI, so assertions read the msgids whatever state the catalogue is in.
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    activate_totp(user)
    client.force_login(user)
    return client


@pytest.fixture
def bank():
    return make_bank("合规催收题库")


@pytest.fixture
def law(bank):
    return make_category(bank, "法律法规")


@pytest.fixture
def criminal_law(bank, law):
    return make_category(bank, "刑法", parent=law)


@pytest.fixture
def regulation():
    return Regulation.objects.create(
        statute="中华人民共和国刑法",
        short_name="刑法",
        article_label="第二百九十三条之一",
        article_no="293-1",
        topic="criminal_law",
        text="有下列情形之一，催收高利放贷等产生的非法债务，情节严重的……",
        version="2021",
        source="全国人大",
    )


def question_data(bank, category, choices, **fields) -> dict:
    """What the question editor posts: fields, the rich-text stem and the choices inline."""
    data = {
        "bank": bank.pk,
        "category": category.pk,
        "parent": "",
        "sort_order": 0,
        "type": "single",
        "name": "深夜催收",
        "stem": rich_text("<p>晚上十一点可以给债务人打催收电话吗？</p>"),
        "choices": inline_formset(
            [{"text": text, "fraction": fraction, "feedback": ""} for text, fraction in choices]
        ),
        "explanation": rich_text(""),
        "regulation": "",
        "difficulty": "medium",
        "default_mark": "1",
        "tags": "",
        "active": "on",
        "idnumber": "",
    }
    data.update(fields)
    return nested_form_data(data)


RIGHT_AND_WRONG = [("不可以，应在合理时间联系", "1"), ("可以，只要语气礼貌", "0")]


# --- Who may enter -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["trainer", "reviewer"])
def test_trainers_and_reviewers_can_list_questions(client, request, role, bank, law):
    question = make_question(bank, law, name="深夜催收是否合规")
    response = signed_in(client, request.getfixturevalue(role)).get(url(QUESTIONS, "index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "深夜催收是否合规" in html
    assert url(QUESTIONS, "edit", question.pk) in html
    assert url(QUESTIONS, "add") in html


@pytest.mark.parametrize("role", ["collector", "manager"])
def test_collectors_and_managers_are_sent_to_log_in(client, request, role, bank, law):
    question = make_question(bank, law)
    client.force_login(request.getfixturevalue(role))
    for target in (
        url(QUESTIONS, "index"),
        url(QUESTIONS, "add"),
        url(QUESTIONS, "edit", question.pk),
        url(CATEGORIES, "index"),
        url(BANKS, "index"),
    ):
        response = client.get(target)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("account_login")), target


def test_a_collector_cannot_create_a_question_by_posting(client, collector, bank, law):
    client.force_login(collector)
    response = client.post(url(QUESTIONS, "add"), question_data(bank, law, RIGHT_AND_WRONG))
    assert response.status_code == 302
    assert not Question.objects.exists()


def test_an_auditor_cannot_manage_questions(client, auditor, bank, law):
    # Auditors have no admin access today; whatever they get later, questions stay closed.
    signed_in(client, auditor)
    assert client.get(url(QUESTIONS, "index")).status_code in {302, 403}
    response = client.post(url(QUESTIONS, "add"), question_data(bank, law, RIGHT_AND_WRONG))
    assert response.status_code in {302, 403}
    assert not Question.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(url(QUESTIONS, "index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Creating and editing questions --------------------------------------------------------


def test_a_trainer_creates_a_single_choice_question_with_its_choices(
    client, trainer, bank, criminal_law, regulation
):
    signed_in(client, trainer)
    form = client.get(url(QUESTIONS, "add"))
    assert form.status_code == 200
    data = question_data(
        bank,
        criminal_law,
        [*RIGHT_AND_WRONG, ("可以，但要先发短信", "-0.5")],
        regulation=regulation.pk,
        tags="夜间, 骚扰",
        default_mark="2",
        difficulty="easy",
        idnumber="Q-001",
    )
    response = client.post(url(QUESTIONS, "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    question = Question.objects.get()
    assert response["Location"] == url(QUESTIONS, "index")
    assert (question.bank, question.category, question.type) == (bank, criminal_law, "single")
    assert question.regulation == regulation
    assert "晚上十一点可以给债务人打催收电话吗？" in question.stem
    assert question.default_mark == Decimal("2")
    assert sorted(question.tags.names()) == ["夜间", "骚扰"]
    assert [(c.text, c.fraction) for c in question.choices.all()] == [
        ("不可以，应在合理时间联系", Decimal("1")),
        ("可以，只要语气礼貌", Decimal("0")),
        ("可以，但要先发短信", Decimal("-0.5")),
    ]


def test_a_reviewer_edits_a_question_and_its_choice_grades(client, reviewer, bank, law):
    question = make_question(
        bank,
        law,
        type="multiple",
        choices=[("甲", "1", ""), ("乙", "0", ""), ("丙", "0", "")],
    )
    first, second, third = question.choices.all()
    signed_in(client, reviewer)
    assert client.get(url(QUESTIONS, "edit", question.pk)).status_code == 200
    data = question_data(bank, law, [], type="multiple", name="改过的题")
    data.update(
        nested_form_data(
            {
                "choices": inline_formset(
                    [
                        {"id": first.pk, "text": "甲", "fraction": "0.5", "feedback": ""},
                        {"id": second.pk, "text": "乙（改）", "fraction": "0.5", "feedback": ""},
                        {"id": third.pk, "text": "丙", "fraction": "-1", "feedback": ""},
                    ],
                    initial=3,
                )
            }
        )
    )
    response = client.post(url(QUESTIONS, "edit", question.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    question.refresh_from_db()
    assert question.name == "改过的题"
    assert [(c.pk, c.text, c.fraction) for c in question.choices.all()] == [
        (first.pk, "甲", Decimal("0.5")),
        (second.pk, "乙（改）", Decimal("0.5")),
        (third.pk, "丙", Decimal("-1")),
    ]


def test_an_admin_edit_makes_a_new_version_and_leaves_the_frozen_one_alone(
    client, trainer, bank, law
):
    question = make_question(bank, law, choices=[("甲", "1", ""), ("乙", "0", "")])
    frozen = current_version(Question.objects.get(pk=question.pk))
    right, wrong = question.choices.all()
    signed_in(client, trainer)
    data = question_data(bank, law, [], name="新题名")
    data.update(
        nested_form_data(
            {
                "choices": inline_formset(
                    [
                        {"id": right.pk, "text": "甲", "fraction": "0", "feedback": ""},
                        {"id": wrong.pk, "text": "乙", "fraction": "1", "feedback": ""},
                    ],
                    initial=2,
                )
            }
        )
    )
    assert client.post(url(QUESTIONS, "edit", question.pk), data).status_code == 302
    latest = current_version(Question.objects.get(pk=question.pk))
    assert latest.number == frozen.number + 1
    assert latest.data["name"] == "新题名"
    assert QuestionVersion.objects.get(pk=frozen.pk).data == frozen.data
    assert question_mark(frozen.data, [right.pk], Decimal("1")) == Decimal("1.0000")
    assert question_mark(latest.data, [right.pk], Decimal("1")) == Decimal("0.0000")


def test_invalid_choices_are_shown_and_nothing_is_saved(client, trainer, bank, law):
    signed_in(client, trainer)
    data = question_data(bank, law, [("甲", "1"), ("乙", "1"), ("丙", "0.5")])
    response = client.post(url(QUESTIONS, "add"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "A single-choice question needs exactly one choice graded 1 (100%)." in html
    assert "In a single-choice question only the correct choice may have a positive grade." in html
    assert not Question.objects.exists()
    assert not Choice.objects.exists()


def test_a_multiple_choice_question_must_add_up_to_one(client, trainer, bank, law):
    signed_in(client, trainer)
    data = question_data(bank, law, [("甲", "0.5"), ("乙", "0.4"), ("丙", "-1")], type="multiple")
    html = client.post(url(QUESTIONS, "add"), data).content.decode()
    assert "must add up to 1 (100%); now they add up to 0.9." in html
    assert not Question.objects.exists()


def test_a_choice_grade_outside_minus_one_to_one_is_refused(client, trainer, bank, law):
    signed_in(client, trainer)
    data = question_data(bank, law, [("甲", "1.5"), ("乙", "0")])
    response = client.post(url(QUESTIONS, "add"), data)
    assert response.status_code == 200
    assert not Question.objects.exists()


def test_deleted_choices_do_not_count(client, trainer, bank, law):
    question = make_question(bank, law, choices=[("甲", "1", ""), ("乙", "0", ""), ("丙", "1", "")])
    first, second, third = question.choices.all()
    signed_in(client, trainer)
    data = question_data(bank, law, [])
    data.update(
        nested_form_data(
            {
                "choices": inline_formset(
                    [
                        {"id": first.pk, "text": "甲", "fraction": "1", "feedback": ""},
                        {"id": second.pk, "text": "乙", "fraction": "0", "feedback": ""},
                        {"id": third.pk, "text": "丙", "fraction": "1", "DELETE": "1"},
                    ],
                    initial=3,
                )
            }
        )
    )
    response = client.post(url(QUESTIONS, "edit", question.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(question.choices.values_list("text", flat=True)) == ["甲", "乙"]


def test_the_category_must_belong_to_the_chosen_bank(client, trainer, bank):
    other_category = make_category(make_bank("其他题库"), "杂项")
    signed_in(client, trainer)
    html = client.post(
        url(QUESTIONS, "add"), question_data(bank, other_category, RIGHT_AND_WRONG)
    ).content.decode()
    assert "The category must belong to the chosen question bank." in html
    assert not Question.objects.exists()


def test_the_category_select_narrows_to_the_chosen_bank(client, trainer, bank, criminal_law):
    other = make_category(make_bank("其他题库"), "杂项")
    signed_in(client, trainer)
    html = client.get(url(QUESTIONS, "add")).content.decode()
    assert 'data-widget="filtered-select"' in html
    assert 'data-filter-field="id_bank"' in html
    assert f'value="{criminal_law.pk}" data-filter-value="{bank.pk}">法律法规/刑法<' in html
    assert f'value="{other.pk}" data-filter-value="{other.bank_id}">杂项<' in html


def test_a_sub_question_is_created_inside_a_case_of_the_same_bank(client, trainer, bank, law):
    case = make_case(bank, law, subs=0, name="失联案例")
    signed_in(client, trainer)
    edit = client.get(url(QUESTIONS, "edit", case.pk)).content.decode()
    assert "Add sub-question" in edit
    add = client.get(
        url(QUESTIONS, "add"),
        {"parent": case.pk, "bank": bank.pk, "category": law.pk, "type": "single"},
    )
    assert f'<option value="{case.pk}" selected data-filter-value="{bank.pk}">' in (
        add.content.decode()
    )
    response = client.post(
        url(QUESTIONS, "add"), question_data(bank, law, RIGHT_AND_WRONG, parent=case.pk)
    )
    assert response.status_code == 302
    assert case.sub_questions.get().name == "深夜催收"


def test_a_sub_question_cannot_sit_in_a_case_of_another_bank(client, trainer, bank, law):
    other_bank = make_bank("其他题库")
    case = make_case(other_bank, make_category(other_bank), subs=0)
    signed_in(client, trainer)
    html = client.post(
        url(QUESTIONS, "add"), question_data(bank, law, RIGHT_AND_WRONG, parent=case.pk)
    ).content.decode()
    assert "A sub-question must be in the same question bank as its case." in html
    assert not case.sub_questions.exists()


def test_a_case_has_no_choices_and_no_parent(client, trainer, bank, law):
    case = make_case(bank, law, subs=0)
    signed_in(client, trainer)
    html = client.post(
        url(QUESTIONS, "add"),
        question_data(bank, law, RIGHT_AND_WRONG, type="case", parent=case.pk),
    ).content.decode()
    assert "A case scenario has no choices of its own: its sub-questions carry them." in html
    assert "A case scenario cannot belong to another case." in html
    assert Question.objects.count() == 1

    response = client.post(
        url(QUESTIONS, "add"), question_data(bank, law, [], type="case", name="新案例")
    )
    assert response.status_code == 302
    assert Question.objects.get(name="新案例").type == "case"


def test_a_case_with_sub_questions_keeps_its_type_and_bank(client, trainer, bank, law):
    case = make_case(bank, law, subs=1)
    other_bank = make_bank("其他题库")
    signed_in(client, trainer)
    html = client.post(
        url(QUESTIONS, "edit", case.pk), question_data(bank, law, RIGHT_AND_WRONG)
    ).content.decode()
    assert "This case has sub-questions, so it must stay a case scenario." in html
    html = client.post(
        url(QUESTIONS, "edit", case.pk),
        question_data(other_bank, make_category(other_bank), [], type="case"),
    ).content.decode()
    assert "A case with sub-questions cannot move to another question bank." in html
    case.refresh_from_db()
    assert (case.type, case.bank) == ("case", bank)


# --- The question list ---------------------------------------------------------------------


def listed(client, **params) -> set[str]:
    html = client.get(url(QUESTIONS, "index"), params).content.decode()
    return {q.name for q in Question.objects.all() if url(QUESTIONS, "edit", q.pk) in html}


def test_the_list_shows_type_category_path_difficulty_and_regulation(
    client, trainer, bank, criminal_law, regulation
):
    make_question(bank, criminal_law, type="truefalse", difficulty="hard", regulation=regulation)
    html = signed_in(client, trainer).get(url(QUESTIONS, "index")).content.decode()
    for text in ("True/false", "法律法规/刑法", "Hard", "刑法 第二百九十三条之一"):
        assert text in html


def test_the_list_filters_by_bank_category_type_difficulty_active_and_tag(
    client, trainer, bank, law, criminal_law
):
    other_bank = make_bank("其他题库")
    make_question(bank, law, name="法律总论")
    make_question(bank, criminal_law, name="刑法题", type="truefalse", difficulty="hard")
    make_question(other_bank, make_category(other_bank), name="别的题库", active=False)
    tagged = make_question(bank, law, name="带标签")
    tagged.tags.add("夜间")
    signed_in(client, trainer)

    assert listed(client, bank=other_bank.pk) == {"别的题库"}
    # A category includes its sub-categories.
    assert listed(client, category=law.pk) == {"法律总论", "刑法题", "带标签"}
    assert listed(client, category=criminal_law.pk) == {"刑法题"}
    assert listed(client, type="truefalse") == {"刑法题"}
    assert listed(client, difficulty="hard") == {"刑法题"}
    assert listed(client, active="false") == {"别的题库"}
    tag = tagged.tags.get()
    assert listed(client, tags=tag.pk) == {"带标签"}


def test_the_list_filters_the_sub_questions_of_a_case(client, trainer, bank, law):
    case = make_case(bank, law, subs=2)
    make_question(bank, law, name="独立题")
    signed_in(client, trainer)
    assert listed(client, parent=case.pk) == set(case.sub_questions.values_list("name", flat=True))


def test_the_list_searches_name_stem_and_id_number_by_substring(client, trainer, bank, law):
    make_question(bank, law, name="首次联系", stem="<p>首次电话联系债务人时应当表明身份</p>")
    make_question(bank, law, name="夜间催收", stem="<p>晚上十一点能否打电话</p>")
    numbered = make_question(bank, law, name="编号题")
    Question.objects.filter(pk=numbered.pk).update(idnumber="MOODLE-42")
    signed_in(client, trainer)
    assert listed(client, q="表明身份") == {"首次联系"}
    assert listed(client, q="夜间") == {"夜间催收"}
    assert listed(client, q="moodle-42") == {"编号题"}


def count_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(QUESTIONS, "index")).status_code == 200
    return len(queries)


def test_the_list_runs_the_same_number_of_queries_for_3_or_30_questions(
    client, trainer, bank, law, criminal_law, regulation
):
    signed_in(client, trainer)

    def add(n):
        for i in range(n):
            category = criminal_law if i % 2 else law
            make_question(bank, category, regulation=regulation).tags.add(f"标签{i % 3}")

    add(3)
    small = count_list_queries(client)
    add(27)
    assert count_list_queries(client) == small


# --- Categories and banks ------------------------------------------------------------------


def test_a_trainer_creates_a_bank_and_nested_categories(client, trainer):
    signed_in(client, trainer)
    response = client.post(url(BANKS, "add"), {"name": "个人信息保护题库", "description": "PIPL"})
    assert response.status_code == 302
    bank = QuestionBank.objects.get()
    response = client.post(
        url(CATEGORIES, "add"), {"bank": bank.pk, "parent": "", "name": "总则", "info": ""}
    )
    assert response.status_code == 302
    top = QuestionCategory.objects.get()
    response = client.post(
        url(CATEGORIES, "add"), {"bank": bank.pk, "parent": top.pk, "name": "敏感信息", "info": ""}
    )
    assert response.status_code == 302
    html = client.get(url(CATEGORIES, "index")).content.decode()
    assert "总则/敏感信息" in html


def test_a_category_parent_must_be_in_the_same_bank(client, trainer, bank, law):
    other_bank = make_bank("其他题库")
    signed_in(client, trainer)
    html = client.post(
        url(CATEGORIES, "add"),
        {"bank": other_bank.pk, "parent": law.pk, "name": "子类", "info": ""},
    ).content.decode()
    assert "The parent category must be in the same question bank." in html
    assert not other_bank.categories.exists()


def test_a_category_cannot_move_inside_its_own_sub_category(
    client, trainer, bank, law, criminal_law
):
    signed_in(client, trainer)
    html = client.post(
        url(CATEGORIES, "edit", law.pk),
        {"bank": bank.pk, "parent": criminal_law.pk, "name": law.name, "info": ""},
    ).content.decode()
    assert "A category cannot sit inside itself or one of its sub-categories." in html
    law.refresh_from_db()
    assert law.parent is None


def test_a_duplicate_category_name_is_refused_in_words(client, trainer, bank, law):
    signed_in(client, trainer)
    html = client.post(
        url(CATEGORIES, "add"), {"bank": bank.pk, "parent": "", "name": law.name, "info": ""}
    ).content.decode()
    assert "There is already a category with this name here." in html
    assert bank.categories.count() == 1


def test_a_category_with_questions_cannot_move_to_another_bank(client, trainer, bank, law):
    make_question(bank, law)
    other_bank = make_bank("其他题库")
    signed_in(client, trainer)
    html = client.post(
        url(CATEGORIES, "edit", law.pk),
        {"bank": other_bank.pk, "parent": "", "name": law.name, "info": ""},
    ).content.decode()
    assert (
        "This category holds questions or sub-categories, so it cannot move to another bank."
        in html
    )
    law.refresh_from_db()
    assert law.bank == bank


def test_the_category_list_filters_by_bank_and_counts_questions(client, trainer, bank, law):
    other_category = make_category(make_bank("其他题库"), "杂项")
    make_question(bank, law)
    make_question(bank, law)
    signed_in(client, trainer)
    html = client.get(url(CATEGORIES, "index"), {"bank": bank.pk}).content.decode()
    assert url(CATEGORIES, "edit", law.pk) in html
    assert url(CATEGORIES, "edit", other_category.pk) not in html
    assert f'href="{url(QUESTIONS, "index")}?category={law.pk}">2</a>' in html


def test_the_bank_list_counts_categories_and_questions(client, trainer, bank, law, criminal_law):
    make_question(bank, law)
    make_question(bank, criminal_law)
    make_question(bank, criminal_law)
    signed_in(client, trainer)
    html = client.get(url(BANKS, "index")).content.decode()
    assert "合规催收题库" in html
    assert f'href="{url(QUESTIONS, "index")}?bank={bank.pk}">3</a>' in html


def test_a_category_used_by_an_exam_is_not_deleted(client, admin_user, bank, law):
    make_exam([{"bank": bank, "category": law, "count": 1}])
    signed_in(client, admin_user)
    response = client.post(url(CATEGORIES, "delete", law.pk))
    assert response.status_code in {302, 403}
    assert QuestionCategory.objects.filter(pk=law.pk).exists()


def test_a_category_holding_questions_is_not_deleted_even_with_a_stale_usage_index(
    client, admin_user, bank, law
):
    question = make_question(bank, law)
    # As after a bulk import: no reference index rows for the question.
    ReferenceIndex.objects.all().delete()
    signed_in(client, admin_user)
    response = client.post(url(CATEGORIES, "delete", law.pk))
    assert response.status_code == 302
    assert QuestionCategory.objects.filter(pk=law.pk).exists()
    assert Question.objects.filter(pk=question.pk).exists()
    shown = [str(m) for m in get_messages(client.get(response["Location"]).wsgi_request)]
    assert shown == [
        f"“{law.name}” is still used by questions or exam rules, so it was not deleted."
    ]


def test_a_superuser_deletes_a_bank_with_its_categories_and_questions(
    client, admin_user, bank, law
):
    question = make_question(bank, law)
    version = current_version(question)
    signed_in(client, admin_user)
    confirm = client.get(url(BANKS, "delete", bank.pk)).content.decode()
    assert "Its 1 categories and 1 questions are deleted with it" in confirm
    response = client.post(url(BANKS, "delete", bank.pk))
    assert response.status_code == 302
    assert not QuestionBank.objects.exists()
    assert not QuestionCategory.objects.exists()
    assert not Question.objects.exists()
    # Papers keep what they showed.
    version.refresh_from_db()
    assert version.question is None


def test_a_bank_an_exam_draws_from_is_not_deleted(client, admin_user, bank, law):
    make_question(bank, law)
    make_exam([{"bank": bank, "count": 1}])
    signed_in(client, admin_user)
    response = client.post(url(BANKS, "delete", bank.pk))
    # The usage index knows the exam rule: Wagtail turns the request away.
    assert response["Location"] == reverse("wagtailadmin_home")
    # Without the index, the database refuses, and the questions deleted first come back.
    ReferenceIndex.objects.all().delete()
    response = client.post(url(BANKS, "delete", bank.pk))
    assert response["Location"] == url(BANKS, "index")
    assert bank.questions.count() == 1
    assert law in bank.categories.all()


def test_trainers_cannot_delete_banks(client, trainer, bank):
    signed_in(client, trainer)
    response = client.post(url(BANKS, "delete", bank.pk))
    assert response.status_code in {302, 403}
    assert QuestionBank.objects.filter(pk=bank.pk).exists()


def test_the_admin_menu_groups_the_three_screens(client, trainer):
    html = signed_in(client, trainer).get(reverse("wagtailadmin_home")).content.decode()
    assert "Question banks" in html
    for viewset in (QUESTIONS, CATEGORIES, BANKS):
        assert url(viewset, "index") in html
