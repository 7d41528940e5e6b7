"""GET /learning/my/: courses in progress with a resume link, and completed courses."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from courses.models import Enrolment, LessonCompletion

from .pages import make_course


def test_it_needs_a_signed_in_user(client, db):
    response = client.get("/learning/my/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/learning/my/"


def test_it_shows_progress_and_a_resume_link_for_each_course_in_progress(
    client, collector, course, lessons
):
    Enrolment.objects.create(user=collector, course=course)
    LessonCompletion.objects.create(user=collector, lesson=lessons[0])
    client.force_login(collector)

    response = client.get("/learning/my/")

    html = response.content.decode()
    section = html.split('id="in-progress-heading"')[1].split('id="completed-heading"')[0]
    assert course.title in section
    assert 'max="3" value="1"' in section and "1/3" in section
    assert f'class="button resume-link" href="{lessons[1].url}"' in section
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


def test_it_lists_completed_courses_with_their_completion_date(client, collector, db):
    finished = make_course("finished", "已学完的课程", lessons=2)
    when = timezone.make_aware(dt.datetime(2026, 3, 8, 10, 0))
    Enrolment.objects.create(user=collector, course=finished, completed_at=when)
    for lesson in finished.get_children():
        LessonCompletion.objects.create(user=collector, lesson_id=lesson.pk)
    client.force_login(collector)

    html = client.get("/learning/my/").content.decode()

    completed = html.split('id="completed-heading"')[1]
    assert "已学完的课程" in completed and "2026年3月8日" in completed
    assert "已学完的课程" not in html.split('id="completed-heading"')[0]


def test_a_completed_course_with_new_lessons_is_back_in_progress(client, collector, db):
    from .pages import add_lesson

    course = make_course("grown", "新增课时的课程", lessons=1)
    lesson = course.get_children().get()
    Enrolment.objects.create(user=collector, course=course, completed_at=timezone.now())
    LessonCompletion.objects.create(user=collector, lesson_id=lesson.pk)
    added = add_lesson(course, "新增的一课", slug="new")
    client.force_login(collector)

    html = client.get("/learning/my/").content.decode()

    section = html.split('id="completed-heading"')[0]
    assert "新增课时的课程" in section and 'max="2" value="1"' in section
    assert f'href="{added.url}"' in section


def test_it_shows_only_the_users_own_courses(client, collector, other_collector, course):
    Enrolment.objects.create(user=other_collector, course=course)
    client.force_login(collector)
    assert course.title not in client.get("/learning/my/").content.decode()


def test_unpublished_courses_drop_out_of_the_list(client, collector, course):
    Enrolment.objects.create(user=collector, course=course)
    course.unpublish()
    client.force_login(collector)
    assert course.title not in client.get("/learning/my/").content.decode()
