"""The impact of a change in the law (exams/certificates/impact.py): what cites the old
version, which programmes it reaches, which valid certificates rest on it; the update tasks it
opens, and how the review workflow and the question editor close them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from content.models import RegulationChange
from courses.models import LessonPage
from exams.certificates.impact import Reason, close_tasks, impact_of, impacts, summary
from exams.certificates.models import CertificateStatus, RegulationUpdateTask
from exams.models import Question
from tests.conftest import signed_in
from tests.exams.certificate_factories import use_fast_pdf
from tests.factories import UserFactory

from .impact_factories import citation, make_article, make_case_citing, make_world, on_basis

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def world():
    return make_world(UserFactory.create_batch(1))


def test_it_lists_the_live_lessons_citing_exactly_the_old_version(world):
    found = impact_of(world.change)
    assert found.lessons == world.lessons
    assert "新条文课" not in {lesson.title for lesson in found.lessons}


def test_a_lesson_taken_offline_no_longer_counts(world):
    world.lessons[0].unpublish()
    assert impact_of(world.change).lessons == []


def test_it_lists_the_active_questions_citing_the_old_version(world):
    assert impact_of(world.change).questions == world.questions


def test_it_names_each_programme_and_why(world):
    found = {p.programme: p for p in impact_of(world.change).programmes}
    assert set(found) == {world.via_course, world.via_exam, world.via_certificates}
    assert found[world.via_course].reasons == (Reason.COURSE,)
    assert found[world.via_exam].reasons == (Reason.EXAM,)
    assert found[world.via_certificates].reasons == (Reason.CERTIFICATES,)
    assert found[world.via_certificates].certificates == 1


def test_a_refresher_course_and_a_renewal_exam_count_too(world):
    world.untouched.refresher_course = world.course
    world.untouched.renewal_exam = world.exam
    world.untouched.save()
    found = {p.programme: p for p in impact_of(world.change).programmes}
    assert found[world.untouched].reasons == (Reason.COURSE, Reason.EXAM)


def test_an_exam_whose_rules_cannot_draw_the_question_is_not_affected(world):
    rule = world.exam.rules.get()
    rule.difficulty = "hard"  # the affected questions are medium
    rule.save()
    assert world.via_exam not in {p.programme for p in impact_of(world.change).programmes}


def test_an_exam_drawing_a_case_with_an_affected_sub_question_is_affected(world):
    case = make_case_citing(world.old)
    exam_programme = world.untouched
    from tests.exams.factories import make_exam

    exam_programme.final_exam = make_exam([{"bank": case.bank, "count": 1}])
    exam_programme.save()
    found = impact_of(world.change)
    assert case.sub_questions.get(regulation=world.old) in found.questions
    assert exam_programme in {p.programme for p in found.programmes}


def test_only_valid_certificates_on_the_old_basis_count(world):
    certificate = world.certificates[0]
    assert impact_of(world.change).certificates == 1
    certificate.status = CertificateStatus.EXPIRED
    certificate.save(update_fields=["status"])
    found = impact_of(world.change)
    assert found.certificates == 0
    assert world.via_certificates not in {p.programme for p in found.programmes}


def test_a_correction_reaches_only_certificates_issued_on_the_old_wording(world):
    article = make_article("7", "v2025", "测试条文：更正后的措辞。")
    correction = RegulationChange.objects.create(
        kind=RegulationChange.Kind.CORRECTED,
        old=article,
        new=article,
        old_text="测试条文：更正前的措辞。",
        new_text=article.text,
    )
    holders = UserFactory.create_batch(2)
    from tests.exams.certificate_factories import issue_certificate

    before = issue_certificate(holders[0], world.untouched)
    on_basis(before, article, text="测试条文：更正前的措辞。")
    after = issue_certificate(holders[1], world.untouched)
    on_basis(after, article)
    found = impact_of(correction)
    assert found.is_correction
    assert found.certificates == 1
    assert not impact_of(world.change).is_correction


def test_counts_and_has_impact(world):
    found = impact_of(world.change)
    assert found.counts == {"lessons": 1, "questions": 1, "programmes": 3, "certificates": 1}
    assert found.has_impact


def test_the_number_of_queries_does_not_grow_with_the_change(world):
    small = world.change
    big = make_world(UserFactory.create_batch(4), size=4).change
    impact_of(small, open_tasks=True)  # content types cached, tasks opened once
    impact_of(big, open_tasks=True)
    for kwargs in ({"open_tasks": True}, {}):
        counts = []
        for change in (small, big):
            with CaptureQueriesContext(connection) as queries:
                found = impact_of(change, **kwargs)
            counts.append(len(queries))
        assert found.counts == {"lessons": 4, "questions": 4, "programmes": 3, "certificates": 4}
        assert counts[0] == counts[1] <= 12


# --- Update tasks ------------------------------------------------------------------------------


def test_computing_the_impact_opens_one_task_per_lesson_and_question_once(world):
    assert not impact_of(world.change).tasks  # reading opens nothing
    assert RegulationUpdateTask.objects.count() == 0
    found = impact_of(world.change, open_tasks=True)
    assert RegulationUpdateTask.objects.count() == 2
    assert found.task_for(world.lessons[0]).target == world.lessons[0]
    assert found.task_for(world.questions[0]).target == world.questions[0]
    impacts([world.change], open_tasks=True)
    assert RegulationUpdateTask.objects.count() == 2
    assert len(impact_of(world.change).tasks) == 2  # read back
    assert not impact_of(world.change, tasks=False).tasks


def test_the_load_summary_counts_everything(world):
    line = summary([world.change])
    assert "1 supersession" in line and "0 corrections" in line
    assert "1 lesson," in line and "1 question," in line
    assert "3 programmes" in line and "1 valid certificate " in line
    assert RegulationUpdateTask.objects.count() == 2


def test_saving_a_question_citing_the_new_version_closes_its_task(client, world, trainer):
    impact_of(world.change, open_tasks=True)
    question = world.questions[0]
    signed_in(client, trainer)
    response = client.post(
        reverse("exams_questions:edit", args=[question.pk]),
        _question_form_data(question, regulation=world.new.pk),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task = RegulationUpdateTask.objects.get(object_id=question.pk, content_type__model="question")
    assert task.done_at is not None
    assert task.done_by == trainer
    assert impact_of(world.change).questions == []


def test_saving_a_question_still_citing_the_old_version_keeps_its_task_open(client, world, trainer):
    impact_of(world.change, open_tasks=True)
    question = world.questions[0]
    signed_in(client, trainer)
    response = client.post(
        reverse("exams_questions:edit", args=[question.pk]),
        _question_form_data(question, regulation=world.old.pk, name="改了题名"),
    )
    assert response.status_code == 302
    task = RegulationUpdateTask.objects.get(object_id=question.pk, content_type__model="question")
    assert task.done_at is None


def test_a_lesson_task_is_done_when_the_reviewer_publishes_it_without_the_old_citation(
    client, world, trainer, reviewer
):
    impact_of(world.change, open_tasks=True)
    lesson = world.lessons[0]
    signed_in(client, trainer)
    data = nested_form_data(
        {
            "title": lesson.title,
            "slug": lesson.slug,
            "intro": "更新后的课时。",
            "estimated_minutes": "10",
            "body": streamfield(
                [("citation", {"regulation": world.new.pk, "note": "已更新为新版本"})]
            ),
        }
    )
    data["action-submit"] = "1"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[lesson.pk]), data)
    assert response.status_code == 302
    task = RegulationUpdateTask.objects.get(object_id=lesson.pk, content_type__model="lessonpage")
    assert task.done_at is None  # submitted, not yet published: learners still see the old
    assert impact_of(world.change).lessons == [lesson]

    client.logout()
    signed_in(client, reviewer)
    task_state = LessonPage.objects.get(pk=lesson.pk).current_workflow_state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[lesson.pk, "approve", task_state.pk])
    assert client.post(url, {"comment": "同意"}).status_code in {200, 302}

    task.refresh_from_db()
    assert task.done_at is not None
    assert task.done_by == trainer  # the author of the published revision
    assert impact_of(world.change).lessons == []


def test_republishing_a_lesson_that_still_cites_the_old_version_keeps_its_task_open(world):
    impact_of(world.change, open_tasks=True)
    lesson = world.lessons[0]
    lesson.body = citation(world.old)
    lesson.save_revision().publish()
    task = RegulationUpdateTask.objects.get(object_id=lesson.pk, content_type__model="lessonpage")
    assert task.done_at is None


def _question_form_data(question, **changes) -> dict:
    """The question editor's post for ``question`` with its own choices, changed by
    ``changes``."""
    choices = list(question.choices.order_by("sort_order"))
    data = {
        "bank": question.bank_id,
        "category": question.category_id,
        "parent": "",
        "sort_order": 0,
        "type": question.type,
        "name": question.name,
        "stem": rich_text(question.stem),
        "choices": inline_formset(
            [
                {"id": c.pk, "text": c.text, "fraction": str(c.fraction), "feedback": ""}
                for c in choices
            ],
            initial=len(choices),
        ),
        "explanation": rich_text(""),
        "regulation": question.regulation_id or "",
        "difficulty": question.difficulty,
        "default_mark": "1",
        "tags": "",
        "active": "on",
        "idnumber": "",
    }
    data.update(changes)
    return nested_form_data(data)


def test_a_done_task_reopens_when_its_target_cites_the_old_version_again(world, trainer):
    impact_of(world.change, open_tasks=True)
    question = world.questions[0]
    close_tasks(question, {world.new.pk}, by=trainer)
    task = RegulationUpdateTask.objects.get(object_id=question.pk, content_type__model="question")
    assert task.done_by == trainer
    found = impact_of(world.change, open_tasks=True)  # the question still cites the old one
    task.refresh_from_db()
    assert task.done_at is None and task.done_by is None
    assert found.task_for(question).done_at is None


# --- Corrections and comparisons (review 13, item 5) ------------------------------------------


def _submit_and_approve(client, lesson, citations, trainer, reviewer) -> None:
    """The trainer submits ``lesson`` citing ``citations`` for review; the reviewer approves it
    (the page workflow, over HTTP)."""
    client.logout()
    signed_in(client, trainer)
    data = nested_form_data(
        {
            "title": lesson.title,
            "slug": lesson.slug,
            "intro": "核对后的课时。",
            "estimated_minutes": "10",
            "body": streamfield(
                [
                    ("citation", {"regulation": regulation.pk, "note": ""})
                    for regulation in citations
                ]
            ),
        }
    )
    data["action-submit"] = "1"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[lesson.pk]), data)
    assert response.status_code == 302
    client.logout()
    signed_in(client, reviewer)
    task_state = LessonPage.objects.get(pk=lesson.pk).current_workflow_state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[lesson.pk, "approve", task_state.pk])
    assert client.post(url, {"comment": "同意"}).status_code in {200, 302}


def _task(target) -> RegulationUpdateTask:
    model = "lessonpage" if isinstance(target, LessonPage) else "question"
    return RegulationUpdateTask.objects.get(object_id=target.pk, content_type__model=model)


@pytest.fixture
def correction(world):
    """The text of the version the world's new lesson and question cite is corrected."""
    article = world.new
    change = RegulationChange.objects.create(
        kind=RegulationChange.Kind.CORRECTED,
        old=article,
        new=article,
        old_text="测试条文：更正前的措辞。",
        new_text=article.text,
    )
    summary([change])  # what loading it does: its tasks are opened
    return change


def test_a_correction_task_is_done_when_the_question_is_saved_again(
    client, world, correction, trainer
):
    question = Question.objects.get(regulation=world.new, active=True)
    assert _task(question).done_at is None
    signed_in(client, trainer)
    response = client.post(
        reverse("exams_questions:edit", args=[question.pk]),
        _question_form_data(question, name="已按更正核对"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task = _task(question)
    assert task.done_at is not None and task.done_by == trainer
    # Still citing the corrected row, and it stays done: nothing reopens a correction's task.
    found = impact_of(correction, open_tasks=True)
    assert question in found.questions
    assert found.task_for(question).done_at is not None
    assert question not in found.outstanding


def test_a_correction_task_is_done_when_the_lesson_is_published_again(
    client, world, correction, trainer, reviewer
):
    lesson = LessonPage.objects.get(slug="new-version", path__startswith=world.course.path)
    assert _task(lesson).done_at is None
    _submit_and_approve(client, lesson, [world.new], trainer, reviewer)
    task = _task(lesson)
    assert task.done_at is not None and task.done_by == trainer
    assert impact_of(correction, open_tasks=True).task_for(lesson).done_at is not None


def test_a_revision_written_before_the_correction_does_not_close_its_task(
    world, correction, trainer
):
    lesson = LessonPage.objects.get(slug="new-version", path__startswith=world.course.path)
    revision = lesson.save_revision(user=trainer)  # written against the old wording
    RegulationChange.objects.filter(pk=correction.pk).update(detected_at=timezone.now())
    revision.publish()
    assert _task(lesson).done_at is None
    lesson.save_revision(user=trainer).publish()  # written after it: checked
    assert _task(lesson).done_by == trainer


def test_a_lesson_comparing_both_versions_closes_its_task_and_it_stays_done(
    client, world, trainer, reviewer
):
    summary([world.change])
    lesson = world.lessons[0]
    _submit_and_approve(client, lesson, [world.old, world.new], trainer, reviewer)
    task = _task(lesson)
    assert task.done_at is not None and task.done_by == trainer
    found = impact_of(world.change, open_tasks=True)  # the index now says it cites both
    assert lesson in found.lessons and lesson.pk in found.comparisons
    assert found.task_for(lesson).done_at is not None
    assert lesson not in found.outstanding


def test_a_lesson_already_comparing_both_versions_gets_a_done_task(world):
    from tests.courses.pages import add_lesson

    lesson = add_lesson(
        world.course, "对照课", slug="compare", body=citation(world.old) + citation(world.new)
    )
    summary([world.change])
    assert _task(lesson).done_at is not None
    assert _task(world.lessons[0]).done_at is None


def test_a_supersession_task_reopens_when_the_lesson_cites_the_old_version_alone_again(world):
    summary([world.change])
    lesson = world.lessons[0]
    lesson.body = citation(world.new)
    lesson.save_revision().publish()
    assert _task(lesson).done_at is not None
    lesson.body = citation(world.old)
    lesson.save_revision().publish()
    impact_of(world.change, open_tasks=True)
    assert _task(lesson).done_at is None


def test_a_change_whose_tasks_are_all_done_has_no_impact_left_without_certificates(
    world, correction, trainer
):
    found = impact_of(correction)
    assert found.has_impact  # a lesson and a question to check
    for target in found.lessons + found.questions:
        close_tasks(target, {world.new.pk}, by=trainer)
    assert not impact_of(correction).has_impact
