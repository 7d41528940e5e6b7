"""Trainers write, reviewers approve: nothing a trainer writes goes live without review.

The groups, page permissions and the workflow come from content's 0006 data migration, so
these tests run against what every environment really has.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from content.models import EventIndexPage, HomePage
from courses.models import CourseIndexPage, LessonPage
from tests.conftest import signed_in

from .pages import make_course


def lesson_form(action: str, slug: str = "new-lesson") -> dict:
    data = nested_form_data(
        {
            "title": "新课时：上门催收的边界",
            "slug": slug,
            "intro": "上门前必须知道的事。",
            "estimated_minutes": "10",
            "body": streamfield([("paragraph", rich_text("<p>被要求离开时，立即离开。</p>"))]),
        }
    )
    data[action] = "1"
    return data


def add_lesson_url(course) -> str:
    return reverse("wagtailadmin_pages:add", args=["courses", "lessonpage", course.pk])


@pytest.fixture
def course(db):
    return make_course(slug="visits", lessons=1)


def test_the_course_and_event_trees_have_the_review_workflow(db):
    for index in (CourseIndexPage.objects.get(), EventIndexPage.objects.get()):
        workflow = index.get_workflow()
        assert workflow.name == "课程与活动审核"
        task = workflow.tasks.get().specific
        assert list(task.groups.values_list("name", flat=True)) == ["Reviewers"]


def test_a_trainer_submits_a_lesson_and_it_waits_for_review(client, trainer, course):
    response = signed_in(client, trainer).post(add_lesson_url(course), lesson_form("action-submit"))
    assert response.status_code == 302
    lesson = LessonPage.objects.get(slug="new-lesson")
    assert not lesson.live
    state = lesson.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.task.name == "审核员审批"
    # Not visible to learners yet.
    assert client.get(lesson.url).status_code in {302, 404}


def test_a_trainer_cannot_publish_directly(client, trainer, course):
    signed_in(client, trainer).post(add_lesson_url(course), lesson_form("action-publish"))
    lesson = LessonPage.objects.get(slug="new-lesson")
    assert not lesson.live
    assert not lesson.revisions.filter(approved_go_live_at__isnull=False).exists()
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[lesson.pk])).content.decode()
    assert 'name="action-publish"' not in edit
    assert 'name="action-submit"' in edit


def test_a_reviewer_approves_and_the_lesson_goes_live_for_collectors(
    client, trainer, reviewer, collector, course
):
    signed_in(client, trainer).post(add_lesson_url(course), lesson_form("action-submit"))
    lesson = LessonPage.objects.get(slug="new-lesson")
    task_state = lesson.current_workflow_state.current_task_state

    client.logout()
    signed_in(client, reviewer)
    url = reverse("wagtailadmin_pages:workflow_action", args=[lesson.pk, "approve", task_state.pk])
    response = client.post(url, {"comment": "内容准确，同意发布。"})
    assert response.status_code in {200, 302}

    lesson.refresh_from_db()
    assert lesson.live
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_APPROVED
    assert task_state.comment == "内容准确，同意发布。"

    client.logout()
    client.force_login(collector)
    assert "新课时：上门催收的边界" in client.get(course.url).content.decode()


def test_a_reviewer_rejects_with_a_comment_and_the_lesson_stays_hidden(
    client, trainer, reviewer, course
):
    signed_in(client, trainer).post(add_lesson_url(course), lesson_form("action-submit"))
    lesson = LessonPage.objects.get(slug="new-lesson")
    task_state = lesson.current_workflow_state.current_task_state

    client.logout()
    signed_in(client, reviewer)
    url = reverse("wagtailadmin_pages:workflow_action", args=[lesson.pk, "reject", task_state.pk])
    client.post(url, {"comment": "请引用第四十七条原文，不要转述。"})

    lesson.refresh_from_db()
    assert not lesson.live
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_REJECTED
    assert task_state.comment == "请引用第四十七条原文，不要转述。"


def test_a_trainer_cannot_approve_their_own_submission(client, trainer, course):
    signed_in(client, trainer).post(add_lesson_url(course), lesson_form("action-submit"))
    lesson = LessonPage.objects.get(slug="new-lesson")
    task_state = lesson.current_workflow_state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[lesson.pk, "approve", task_state.pk])
    client.post(url, {"comment": "自己批准"})
    lesson.refresh_from_db()
    assert not lesson.live


def test_trainers_cannot_add_pages_outside_the_course_and_event_trees(client, trainer):
    home = HomePage.objects.get()
    url = reverse("wagtailadmin_pages:add_subpage", args=[home.pk])
    response = signed_in(client, trainer).get(url)
    assert response.status_code in {302, 403}


def test_collectors_cannot_reach_the_admin(client, collector):
    client.force_login(collector)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
