"""The catalogue and a course's outline: public, cacheable for visitors, personal for users."""

from __future__ import annotations

from courses.models import CourseTopic

from .pages import add_lesson, course_index, lessons_of, make_course


def test_the_catalogue_lists_live_courses_grouped_by_topic(client, db):
    make_course("rules", "银行业监管规定入门")
    make_course("calm", "沟通降级技巧", topic=CourseTopic.DE_ESCALATION)
    draft = make_course("draft", "尚未发布的课程")
    draft.unpublish()

    response = client.get(course_index().url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "银行业监管规定入门" in html and "沟通降级技巧" in html
    assert "尚未发布的课程" not in html
    assert 'id="topic-banking-rules"' in html and 'id="topic-de-escalation"' in html
    assert html.index("银行业监管规定入门") < html.index("沟通降级技巧")
    assert 'id="topic-criminal-law"' not in html  # no empty groups


def test_the_catalogue_filters_by_topic_and_ignores_unknown_topics(client, db):
    make_course("rules", "银行业监管规定入门")
    make_course("calm", "沟通降级技巧", topic=CourseTopic.DE_ESCALATION)
    url = course_index().url

    filtered = client.get(url, {"topic": "de-escalation"}).content.decode()
    assert "沟通降级技巧" in filtered and "银行业监管规定入门" not in filtered
    assert 'href="/courses/?topic=de-escalation" aria-current="page"' in filtered

    unknown = client.get(url, {"topic": "nonsense"}).content.decode()
    assert "沟通降级技巧" in unknown and "银行业监管规定入门" in unknown


def test_anyone_can_read_a_course_outline_in_lesson_order(client, course):
    add_lesson(course, "第4课：复盘", slug="lesson-4")

    response = client.get(course.url)

    assert response.status_code == 200
    html = response.content.decode()
    titles = [lesson.title for lesson in lessons_of(course)]
    positions = [html.index(f">{title}</a>") for title in titles]
    assert positions == sorted(positions)
    # Visitors are offered a log-in that brings them back here, not an enrol form.
    assert 'href="/accounts/login/?next=/courses/rules/"' in html
    assert "/learning/enrol/" not in html


def test_the_outline_shows_unpublished_lessons_to_no_one(client, course, lessons):
    lessons[1].unpublish()
    html = client.get(course.url).content.decode()
    assert lessons[0].title in html and lessons[1].title not in html


def test_a_signed_in_user_who_has_not_enrolled_gets_an_enrol_button(client, collector, course):
    client.force_login(collector)
    html = client.get(course.url).content.decode()
    assert f'action="/learning/enrol/{course.pk}/"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_visitors_may_cache_the_catalogue_and_outline_briefly(client, course):
    for url in (course_index().url, course.url):
        response = client.get(url)
        cache_control = response["Cache-Control"]
        assert "public" in cache_control and "max-age=300" in cache_control
        assert "Cookie" in response["Vary"]


def test_signed_in_users_pages_are_never_stored(client, collector, course):
    client.force_login(collector)
    for url in (course_index().url, course.url):
        cache_control = client.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control
        assert "public" not in cache_control


def test_a_page_showing_a_one_off_message_is_not_cached_publicly(client, collector, course):
    client.force_login(collector)
    client.post("/accounts/logout/")  # queues "you have signed out"

    response = client.get(course.url)

    assert 'class="message' in response.content.decode()
    assert "public" not in response["Cache-Control"]
    assert "public" in client.get(course.url)["Cache-Control"]  # the message was shown once


def test_an_unpublished_course_is_not_found(client, course):
    course.unpublish()
    assert client.get(course.url).status_code == 404
