"""The home page leads to the courses and the next salons and summits."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.models import EventKind, EventPage
from tests.content.test_events import make_event, make_index
from tests.courses.pages import make_course


def test_the_home_page_lists_courses_and_only_upcoming_events(client, db):
    make_course(slug="pipl", title="个人信息保护：催收中的数据合规", lessons=1)
    index = make_index()
    now = timezone.now()
    make_event(index, "去年的沙龙", now - datetime.timedelta(days=300), kind=EventKind.SALON)
    make_event(index, "明年的峰会", now + datetime.timedelta(days=100), kind=EventKind.SUMMIT)

    html = client.get("/").content.decode()

    assert "个人信息保护：催收中的数据合规" in html
    assert "明年的峰会" in html
    assert "去年的沙龙" not in html
    assert EventPage.objects.count() == 2


def test_the_home_page_costs_the_same_queries_with_2_or_6_courses(client, db):
    def queries() -> int:
        client.get("/")  # warm per-process caches (site root paths, content types)
        with CaptureQueriesContext(connection) as captured:
            client.get("/")
        return len(captured)

    for number in range(2):
        make_course(slug=f"course-{number}", lessons=1)
    small = queries()
    for number in range(2, 6):
        make_course(slug=f"course-{number}", lessons=1)
    assert queries() == small <= 10
