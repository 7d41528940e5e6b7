"""Fixtures shared by the exam and certificate tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from exams.models import Attempt, ExamPage


@pytest.fixture
def certify(django_capture_on_commit_callbacks):
    """Run a step as its request would: on-commit callbacks (dispatch, email) run after it."""

    def run(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return step(*args, **kwargs)

    return run


@pytest.fixture
def start_in_english(db, client, collector) -> Callable[[ExamPage], Attempt]:
    """Start an exam through its page's POST as ``collector``, signed in and reading English
    (the tests compare English messages); returns the attempt."""
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    client.force_login(collector)

    def start(exam: ExamPage) -> Attempt:
        client.post(reverse("exams:start", args=[exam.pk]))
        return Attempt.objects.get(user=collector)

    return start
