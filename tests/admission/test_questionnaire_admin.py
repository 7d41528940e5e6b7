"""The questionnaire admin: nested sections, questions and options; only drafts are editable;
Publish (checked, retires the previous version, logged) and New version (a deep copy)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from lms.accounts.models import FirmKind
from lms.admission import questionnaires
from lms.admission.models import (
    AnswerOption,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    Section,
)
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

NS = "admission_questionnaires"


def url(name: str, questionnaire=None) -> str:
    return reverse(f"{NS}:{name}", args=[questionnaire.pk] if questionnaire else [])


def published_agency() -> Questionnaire:
    current = Questionnaire.current(FirmKind.AGENCY)
    assert current is not None
    return current


def form_data(title: str, *, options: list[dict] | None = None, kind: str = "choice") -> dict:
    """A whole questionnaire as the nested edit form posts it: one section, one question."""
    if options is None:
        options = [
            {"label": "是", "points": "100", "is_blocker": ""},
            {"label": "有暴力催收记录", "points": "0", "is_blocker": "on"},
        ]
    return nested_form_data(
        {
            "firm_kind": FirmKind.AGENCY,
            "title": title,
            "introduction": "",
            "admit_score": "75",
            "conditional_score": "60",
            "validity_days": "365",
            "sections": inline_formset(
                [
                    {
                        "title": "基本情况",
                        "weight": "1",
                        "questions": inline_formset(
                            [
                                {
                                    "text": "是否持有营业执照？",
                                    "guidance": "",
                                    "kind": kind,
                                    "weight": "1",
                                    "evidence": "none",
                                    "metric": "",
                                    "metric_zero": "",
                                    "metric_full": "",
                                    "options": inline_formset(options),
                                }
                            ]
                        ),
                    }
                ]
            ),
        }
    )


def test_reviewer_lists_the_published_versions(client, admission_reviewer):
    signed_in(client, admission_reviewer)
    response = client.get(url("index"))
    assert response.status_code == 200
    assert str(published_agency()) in response.content.decode()


@pytest.mark.parametrize("persona", ["collector", "manager", "trainer", "auditor"])
def test_other_roles_cannot_see_or_publish_questionnaires(client, request, persona):
    signed_in(client, request.getfixturevalue(persona))
    draft = questionnaires.new_version(published_agency(), by=None)
    for target in (url("index"), url("inspect", draft)):
        response = client.get(target)
        assert response.status_code in (302, 403)
    client.post(url("publish", draft))
    draft.refresh_from_db()
    assert draft.status == QuestionnaireStatus.DRAFT


def test_a_published_version_is_read_only_with_a_clear_message(client, admission_reviewer):
    published = published_agency()
    signed_in(client, admission_reviewer)
    response = client.get(url("edit", published), follow=True)
    body = response.content.decode()
    assert "data-read-only" in body
    response = client.post(url("edit", published), form_data("改掉的标题"))
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.title != "改掉的标题"
    client.post(url("delete", published))
    assert Questionnaire.objects.filter(pk=published.pk).exists()


def test_new_version_copies_sections_questions_and_options_into_a_draft(client, admission_reviewer):
    published = published_agency()
    signed_in(client, admission_reviewer)
    response = client.post(url("new_version", published))
    draft = Questionnaire.objects.get(firm_kind=FirmKind.AGENCY, version=published.version + 1)
    assert response["Location"] == url("edit", draft)
    assert draft.status == QuestionnaireStatus.DRAFT
    for model, lookup in (
        (Section, "questionnaire"),
        (Question, "section__questionnaire"),
        (AnswerOption, "question__section__questionnaire"),
    ):
        assert (
            model.objects.filter(**{lookup: draft}).count()
            == model.objects.filter(**{lookup: published}).count()
        )
    assert (
        AnswerOption.objects.filter(question__section__questionnaire=draft, is_blocker=True).count()
        == AnswerOption.objects.filter(
            question__section__questionnaire=published, is_blocker=True
        ).count()
    )
    assert ModelLogEntry.objects.filter(
        action=questionnaires.NEW_VERSION_ACTION, object_id=str(draft.pk)
    ).exists()
    # The draft's nested edit form renders (sections → questions → options).
    edit = client.get(url("edit", draft))
    assert edit.status_code == 200
    assert "sections-0-questions-0-options-0-label" in edit.content.decode()


def test_reviewer_builds_a_draft_in_nested_panels_and_publishes_it(client, admission_reviewer):
    previous = published_agency()
    signed_in(client, admission_reviewer)
    response = client.post(url("add"), form_data("处置方准入问卷（新）"))
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Questionnaire.objects.get(title="处置方准入问卷（新）")
    assert draft.version == previous.version + 1
    assert draft.status == QuestionnaireStatus.DRAFT
    question = Question.objects.get(section__questionnaire=draft)
    assert [o.is_blocker for o in question.options.order_by("sort_order")] == [False, True]

    response = client.post(url("publish", draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    previous.refresh_from_db()
    assert draft.status == QuestionnaireStatus.PUBLISHED
    assert draft.published_by == admission_reviewer
    assert previous.status == QuestionnaireStatus.RETIRED
    assert Questionnaire.current(FirmKind.AGENCY) == draft
    assert ModelLogEntry.objects.filter(
        action=questionnaires.PUBLISH_ACTION, object_id=str(draft.pk)
    ).exists()


def test_an_incomplete_draft_is_not_published_and_every_problem_is_listed(
    client, admission_reviewer
):
    previous = published_agency()
    signed_in(client, admission_reviewer)
    client.post(url("add"), form_data("缺选项", options=[]))
    draft = Questionnaire.objects.get(title="缺选项")
    Question.objects.create(
        section=draft.sections.get(), text="持证比例", kind=QuestionKind.METRIC, weight=1
    )
    Section.objects.create(questionnaire=draft, title="空章节", weight=1)
    page = client.get(url("publish", draft)).content.decode()
    response = client.post(url("publish", draft))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("是否持有营业执照？", "持证比例", "空章节"):
        assert text in body and text in page
    draft.refresh_from_db()
    previous.refresh_from_db()
    assert draft.status == QuestionnaireStatus.DRAFT
    assert previous.status == QuestionnaireStatus.PUBLISHED


def test_editing_a_draft_saves_its_nested_questions(client, admission_reviewer):
    signed_in(client, admission_reviewer)
    draft = questionnaires.new_version(published_agency(), by=admission_reviewer)
    data = form_data("只剩一题")
    response = client.post(url("edit", draft), data)
    # The posted formsets replace the copied rows (all of them are new forms here).
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.title == "只剩一题"
    assert Question.objects.filter(section__questionnaire=draft, text="是否持有营业执照？")


def test_a_published_version_cannot_be_published_again(client, admission_reviewer):
    published = published_agency()
    signed_in(client, admission_reviewer)
    client.post(url("publish", published))
    published.refresh_from_db()
    assert published.status == QuestionnaireStatus.PUBLISHED
    assert not ModelLogEntry.objects.filter(action=questionnaires.PUBLISH_ACTION).exists()
