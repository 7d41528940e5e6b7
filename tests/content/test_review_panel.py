"""Reviewers approve a submitted page from their dashboard in one step (Wagtail's workflow)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import TaskState

from courses.models import LessonPage
from tests.conftest import signed_in
from tests.courses.pages import make_course
from tests.courses.test_publishing_workflow import add_lesson_url, lesson_form


@pytest.fixture
def trainer_client(trainer):
    return signed_in(Client(), trainer)


@pytest.fixture
def submitted_lesson(trainer_client):
    course = make_course(slug="visits", lessons=1)
    trainer_client.post(add_lesson_url(course), lesson_form("action-submit"))
    return LessonPage.objects.get(slug="new-lesson")


def approve_form(page: str) -> tuple[str, str]:
    """The dashboard's visible Approve form: its action and its next address."""
    match = re.search(
        r'<form method="post" action="([^"]+/approve/\d+/)">.*?name="next" value="([^"]*)"',
        page,
        re.S,
    )
    assert match, "no Approve button on the dashboard"
    return match.group(1), match.group(2)


def test_the_reviewers_dashboard_shows_an_approve_button_for_each_pending_page(
    client, reviewer, submitted_lesson
):
    page = signed_in(client, reviewer).get(reverse("wagtailadmin_home")).content.decode()
    assert "新课时：上门催收的边界" in page
    action, next_url = approve_form(page)
    task_state = submitted_lesson.current_workflow_state.current_task_state
    assert action == reverse(
        "wagtailadmin_pages:workflow_action",
        args=[submitted_lesson.pk, "approve", task_state.pk],
    )
    assert next_url == "/admin/"
    assert "批准" in page


def test_one_click_on_approve_publishes_the_page_and_returns_to_the_dashboard(
    client, reviewer, submitted_lesson
):
    page = signed_in(client, reviewer).get(reverse("wagtailadmin_home")).content.decode()
    action, next_url = approve_form(page)
    response = client.post(action, {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    submitted_lesson.refresh_from_db()
    assert submitted_lesson.live
    task_state = TaskState.objects.get(workflow_state__object_id=str(submitted_lesson.pk))
    assert task_state.status == TaskState.STATUS_APPROVED
    assert task_state.finished_by == reviewer
    # Done: nothing left awaiting review.
    assert "新课时：上门催收的边界" not in client.get("/admin/").content.decode()


def test_a_trainer_sees_no_approve_button_and_cannot_approve_by_posting(
    trainer_client, submitted_lesson
):
    client = trainer_client
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "/approve/" not in page
    task_state = submitted_lesson.current_workflow_state.current_task_state
    url = reverse(
        "wagtailadmin_pages:workflow_action",
        args=[submitted_lesson.pk, "approve", task_state.pk],
    )
    client.post(url, {"next": "/admin/"})
    submitted_lesson.refresh_from_db()
    assert not submitted_lesson.live
