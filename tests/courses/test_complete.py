"""POST /learning/complete/<lesson_id>/: finish a lesson, stay or move on."""

from __future__ import annotations

from courses.models import Enrolment, LessonCompletion


def _enrol(client, user, course):
    client.force_login(user)
    client.post(f"/learning/enrol/{course.pk}/")


def test_marking_a_lesson_complete_stays_on_it_and_counts(client, collector, course, lessons):
    _enrol(client, collector, course)

    response = client.post(f"/learning/complete/{lessons[0].pk}/", {"next": "stay"})

    assert response.status_code == 302 and response["Location"] == lessons[0].url
    assert LessonCompletion.objects.filter(user=collector, lesson=lessons[0]).exists()
    html = client.get(lessons[0].url).content.decode()
    assert 'max="3" value="1"' in html
    assert 'name="next" value="stay"' not in html  # no second "mark as complete"


def test_moving_on_from_the_end_of_a_lesson_completes_it_and_opens_the_next(
    client, collector, course, lessons
):
    _enrol(client, collector, course)

    response = client.post(f"/learning/complete/{lessons[0].pk}/", {"next": "next"})

    assert response["Location"] == lessons[1].url
    assert LessonCompletion.objects.filter(user=collector, lesson=lessons[0]).exists()


def test_the_last_lesson_leads_back_to_the_course(client, collector, course, lessons):
    _enrol(client, collector, course)
    response = client.post(f"/learning/complete/{lessons[2].pk}/", {"next": "next"})
    assert response["Location"] == course.url


def test_finishing_every_lesson_completes_the_course_once(client, collector, course, lessons):
    _enrol(client, collector, course)
    client.post(f"/learning/complete/{lessons[0].pk}/", {"next": "next"})
    client.post(f"/learning/complete/{lessons[2].pk}/", {"next": "next"})
    assert Enrolment.objects.get(user=collector).completed_at is None

    html = client.get(course.url).content.decode()
    assert 'max="3" value="2"' in html and "2/3" in html
    assert 'class="button resume-link" href="/courses/rules/lesson-2/"' in html

    client.post(f"/learning/complete/{lessons[1].pk}/", {"next": "stay"})
    completed_at = Enrolment.objects.get(user=collector).completed_at
    assert completed_at is not None

    client.post(f"/learning/complete/{lessons[1].pk}/", {"next": "stay"})
    client.post(f"/learning/complete/{lessons[0].pk}/", {"next": "stay"})
    assert Enrolment.objects.get(user=collector).completed_at == completed_at
    assert LessonCompletion.objects.filter(user=collector).count() == 3


def test_a_user_who_has_not_enrolled_cannot_complete_a_lesson(client, collector, lessons):
    client.force_login(collector)

    response = client.post(f"/learning/complete/{lessons[0].pk}/", {"next": "next"})

    assert response.status_code == 403
    assert "/learning/enrol/" in response.content.decode()
    assert not LessonCompletion.objects.exists()


def test_completing_affects_only_the_signed_in_users_progress(
    client, collector, other_collector, course, lessons
):
    Enrolment.objects.create(user=other_collector, course=course)
    _enrol(client, collector, course)

    client.post(
        f"/learning/complete/{lessons[0].pk}/", {"next": "stay", "user": other_collector.pk}
    )

    assert LessonCompletion.objects.filter(user=collector).count() == 1
    assert not LessonCompletion.objects.filter(user=other_collector).exists()
    client.force_login(other_collector)
    assert 'max="3" value="0"' in client.get(course.url).content.decode()


def test_visitors_are_sent_to_log_in_and_back_to_the_lesson(client, lessons):
    response = client.post(f"/learning/complete/{lessons[0].pk}/", {"next": "next"})
    assert response["Location"] == "/accounts/login/?next=/courses/rules/lesson-1/"
    assert not LessonCompletion.objects.exists()


def test_unpublished_lessons_and_lessons_of_unpublished_courses_are_not_found(
    client, collector, course, lessons
):
    _enrol(client, collector, course)
    lessons[0].unpublish()
    assert client.post(f"/learning/complete/{lessons[0].pk}/").status_code == 404
    course.unpublish()
    assert client.post(f"/learning/complete/{lessons[1].pk}/").status_code == 404
    assert not LessonCompletion.objects.exists()


def test_completing_needs_a_post(client, collector, course, lessons):
    _enrol(client, collector, course)
    assert client.get(f"/learning/complete/{lessons[0].pk}/").status_code == 405
    assert not LessonCompletion.objects.exists()


def test_finishing_the_course_says_so_on_the_page_it_lands_on(client, collector, course, lessons):
    _enrol(client, collector, course)
    for lesson in lessons[1:]:
        client.post(f"/learning/complete/{lesson.pk}/", {"next": "stay"}, follow=True)

    response = client.post(f"/learning/complete/{lessons[0].pk}/", {"next": "next"}, follow=True)

    assert response.redirect_chain == [(lessons[1].url, 302)]
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and course.title in messages[0]
