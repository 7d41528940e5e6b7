"""Reading a lesson: sign in, enrol, then study with progress and navigation."""

from __future__ import annotations

from courses.models import Enrolment

from .pages import add_lesson


def test_visitors_are_sent_to_log_in_and_back(client, lessons):
    response = client.get(lessons[0].url)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/courses/rules/lesson-1/"


def test_users_who_have_not_enrolled_are_asked_to_enrol_instead_of_seeing_the_lesson(
    client, collector, course
):
    lesson = add_lesson(
        course,
        "第4课",
        slug="lesson-4",
        body=[("paragraph", "<p>只有学员能看到的正文</p>")],
    )
    client.force_login(collector)

    response = client.get(lesson.url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "只有学员能看到的正文" not in html
    assert f'action="/learning/enrol/{course.pk}/"' in html
    assert 'name="next" value="/courses/rules/lesson-4/"' in html
    assert "/learning/complete/" not in html
    assert not Enrolment.objects.filter(user=collector).exists()


def test_enrolled_users_see_the_body_progress_navigation_and_completion_buttons(
    client, collector, course, lessons
):
    lesson = add_lesson(
        course, "第4课", slug="lesson-4", body=[("paragraph", "<p>学员可见的正文</p>")]
    )
    Enrolment.objects.create(user=collector, course=course)
    client.force_login(collector)

    html = client.get(lesson.url).content.decode()

    assert "学员可见的正文" in html
    assert '<progress class="course-progress__bar" max="4" value="0"' in html
    assert f'href="{lessons[2].url}" rel="prev"' in html
    assert html.count(f'action="/learning/complete/{lesson.pk}/"') == 2
    assert 'name="next" value="stay"' in html and 'name="next" value="next"' in html


def test_the_first_lesson_has_no_previous_link_and_its_next_button_moves_on(
    client, collector, course, lessons
):
    Enrolment.objects.create(user=collector, course=course)
    client.force_login(collector)
    html = client.get(lessons[0].url).content.decode()
    assert 'rel="prev"' not in html
    assert lessons[1].title in html.split('class="lesson-nav__next"')[1]


def test_lesson_pages_are_never_cached(client, collector, course, lessons):
    Enrolment.objects.create(user=collector, course=course)
    client.force_login(collector)
    cache_control = client.get(lessons[0].url)["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


def test_an_unpublished_lesson_is_not_found(client, collector, course, lessons):
    Enrolment.objects.create(user=collector, course=course)
    lessons[0].unpublish()
    client.force_login(collector)
    assert client.get(lessons[0].url).status_code == 404
