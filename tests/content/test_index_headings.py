"""The course, event and exam index pages' headings follow the interface language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from content.models import EventIndexPage
from courses.models import CourseIndexPage
from exams.models import ExamIndexPage

INDEXES = [
    (CourseIndexPage, "Courses", "课程"),
    (EventIndexPage, "Events", "活动"),
    (ExamIndexPage, "Exams", "考试"),
]


def heading(client, url: str) -> str:
    page = client.get(url).content.decode()
    return re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()


@pytest.mark.parametrize(("model", "english", "chinese"), INDEXES)
def test_an_index_pages_heading_is_english_in_english_mode(client, db, model, english, chinese):
    url = model.objects.get().url
    assert heading(client, url) == chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert heading(client, url) == english
    assert f"<title>{english} ·" in client.get(url).content.decode()


def test_a_title_an_editor_changed_is_shown_as_written(client, db):
    index = CourseIndexPage.objects.get()
    index.title = "合规课程"
    index.save_revision().publish()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert heading(client, index.url) == "合规课程"
