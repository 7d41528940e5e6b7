"""Query budgets: a lesson and "My learning" cost the same however big the course or the list."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Regulation
from courses import progress
from courses.models import Enrolment, LessonCompletion

from .pages import add_lesson, lessons_of, make_course


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
    return len(captured)


def _lesson_body() -> list:
    """A realistic lesson: text, two citations (one superseded), a scenario, a check."""
    old, current = (
        Regulation.objects.get(
            short_name="治安管理处罚法", article_no="42", superseded_by__isnull=False
        ),
        Regulation.objects.get(short_name="刑法", article_no="293-1"),
    )
    return [
        ("paragraph", "<p>正文</p>"),
        ("citation", {"regulation": old, "note": ""}),
        ("citation", {"regulation": current, "note": ""}),
        (
            "dialogue",
            {
                "debtor_line": "甲",
                "non_compliant_response": "乙",
                "why_non_compliant": "丙",
                "breaks": current,
                "compliant_response": "丁",
            },
        ),
        (
            "knowledge_check",
            {"question": "问", "choices": [{"text": "对", "is_correct": True}]},
        ),
    ]


def test_a_lesson_costs_the_same_queries_in_a_course_of_5_or_50_lessons(client, collector):
    call_command("load_regulations", verbosity=0)
    measured = []
    for size in (5, 50):
        course = make_course(f"size-{size}", lessons=size - 1)
        lesson = add_lesson(course, "中间的一课", slug="measured", body=_lesson_body())
        progress.enrol(collector, course)
        for done in lessons_of(course)[: size // 2]:
            LessonCompletion.objects.create(user=collector, lesson=done)
        measured.append(lesson.url)
    client.force_login(collector)
    _queries(client, measured[0])  # warm per-process caches (site root paths, content types)

    small, large = (_queries(client, url) for url in measured)

    assert small == large
    # Session, user, MFA role check, the section links, Wagtail's routing down the tree and the
    # user bar take 16; the lesson adds its course, outline-with-progress, enrolment and one
    # query per cited block type (citation, dialogue).
    assert small <= 21, small


def test_a_course_outline_costs_the_same_queries_for_5_or_50_lessons(client, collector):
    courses = [make_course(f"size-{size}", lessons=size) for size in (5, 50)]
    for course in courses:
        progress.enrol(collector, course)
    client.force_login(collector)
    _queries(client, courses[0].url)

    small, large = (_queries(client, course.url) for course in courses)

    assert small == large


def test_my_learning_costs_the_same_queries_for_2_or_40_enrolments(
    client, collector, other_collector
):
    courses = [make_course(f"course-{n}", f"课程{n}", lessons=3) for n in range(40)]
    for user, count in ((collector, 2), (other_collector, 40)):
        for number, course in enumerate(courses[:count]):
            Enrolment.objects.create(user=user, course=course)
            for lesson in lessons_of(course)[: number % 4]:
                LessonCompletion.objects.create(user=user, lesson=lesson)
    client.force_login(collector)
    _queries(client, "/learning/my/")
    small = _queries(client, "/learning/my/")
    client.force_login(other_collector)
    large = _queries(client, "/learning/my/")

    html = client.get("/learning/my/").content.decode()
    assert html.count('class="card learning-item') == 40
    assert small == large
    assert small <= 12, small  # 10, + the CPD programmes and the hours ledger (issue 15)
