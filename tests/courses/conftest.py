"""Fixtures for the course tests: a published course with three lessons."""

from __future__ import annotations

import pytest

from .pages import make_course


@pytest.fixture
def course(db):
    return make_course()


@pytest.fixture
def lessons(course):
    from .pages import lessons_of

    return lessons_of(course)
