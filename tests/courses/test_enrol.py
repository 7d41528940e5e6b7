"""POST /learning/enrol/<course_id>/: sign up for a course."""

from __future__ import annotations

from courses.models import Enrolment

from .pages import make_course


def test_a_user_enrols_and_returns_to_the_course(client, collector, course):
    client.force_login(collector)

    response = client.post(f"/learning/enrol/{course.pk}/")

    assert response.status_code == 302 and response["Location"] == course.url
    enrolment = Enrolment.objects.get(user=collector)
    assert enrolment.course_id == course.pk and enrolment.completed_at is None
    html = client.get(course.url).content.decode()
    assert f'action="/learning/enrol/{course.pk}/"' not in html
    assert '<progress class="course-progress__bar" max="3" value="0"' in html
    assert 'class="button resume-link" href="/courses/rules/lesson-1/"' in html


def test_enrolling_twice_changes_nothing(client, collector, course):
    client.force_login(collector)
    client.post(f"/learning/enrol/{course.pk}/")
    first = Enrolment.objects.get(user=collector)
    client.post(f"/learning/enrol/{course.pk}/")
    assert list(Enrolment.objects.filter(user=collector)) == [first]
    assert Enrolment.objects.get().enrolled_at == first.enrolled_at


def test_enrolling_from_a_lesson_returns_to_that_lesson(client, collector, course, lessons):
    client.force_login(collector)
    response = client.post(f"/learning/enrol/{course.pk}/", {"next": lessons[1].url})
    assert response["Location"] == lessons[1].url


def test_it_never_redirects_off_site(client, collector, course):
    client.force_login(collector)
    response = client.post(f"/learning/enrol/{course.pk}/", {"next": "https://evil.example/"})
    assert response["Location"] == course.url


def test_visitors_are_sent_to_log_in_and_back_to_the_course(client, course):
    response = client.post(f"/learning/enrol/{course.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/courses/rules/"
    assert not Enrolment.objects.exists()


def test_enrolling_needs_a_post(client, collector, course):
    client.force_login(collector)
    assert client.get(f"/learning/enrol/{course.pk}/").status_code == 405
    assert not Enrolment.objects.exists()


def test_enrolling_needs_a_csrf_token(collector, course):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(collector)
    assert client.post(f"/learning/enrol/{course.pk}/").status_code == 403
    assert not Enrolment.objects.exists()


def test_unpublished_or_unknown_courses_are_not_found(client, collector, db):
    draft = make_course("draft", lessons=0)
    draft.unpublish()
    client.force_login(collector)
    assert client.post(f"/learning/enrol/{draft.pk}/").status_code == 404
    assert client.post("/learning/enrol/999999/").status_code == 404
    assert not Enrolment.objects.exists()
