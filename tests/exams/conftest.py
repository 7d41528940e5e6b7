"""Fixtures shared by the exam and certificate tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def certify(django_capture_on_commit_callbacks):
    """Run a step as its request would: on-commit callbacks (dispatch, email) run after it."""

    def run(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return step(*args, **kwargs)

    return run
