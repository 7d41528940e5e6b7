"""courses.progress: progress is derived from live lessons, so editing a course never breaks it."""

from __future__ import annotations

import pytest

from courses import progress
from courses.models import Enrolment, LessonCompletion

from .pages import add_lesson, lessons_of


@pytest.fixture
def enrolled(collector, course):
    progress.enrol(collector, course)
    return collector


def test_progress_counts_completed_live_lessons_and_points_at_the_next(enrolled, course, lessons):
    progress.mark_complete(enrolled, lessons[0])
    result = progress.course_progress(enrolled, course)
    assert (result.done, result.total, result.completed) == (1, 3, False)
    assert result.next_lesson.pk == lessons[1].pk
    assert result.percent == 33


def test_the_next_lesson_is_the_first_incomplete_one_in_course_order(enrolled, course, lessons):
    progress.mark_complete(enrolled, lessons[0])
    progress.mark_complete(enrolled, lessons[2])
    assert progress.course_progress(enrolled, course).next_lesson.pk == lessons[1].pk


def test_reordering_lessons_changes_the_next_lesson(enrolled, course, lessons):
    progress.mark_complete(enrolled, lessons[0])
    lessons[2].move(lessons[1], pos="left")  # now 1, 3, 2
    result = progress.course_progress(enrolled, course)
    assert result.next_lesson.pk == lessons[2].pk
    assert [lesson.pk for lesson in lessons_of(course)] == [
        lessons[0].pk,
        lessons[2].pk,
        lessons[1].pk,
    ]


def test_adding_a_lesson_reopens_a_finished_course_without_moving_its_completion_date(
    enrolled, course, lessons
):
    for lesson in lessons:
        progress.mark_complete(enrolled, lesson)
    completed_at = Enrolment.objects.get(user=enrolled).completed_at
    assert completed_at is not None

    new = add_lesson(course, "新增课", slug="new")
    result = progress.course_progress(enrolled, course)
    assert (result.done, result.total, result.completed) == (3, 4, False)
    assert result.next_lesson.pk == new.pk

    progress.mark_complete(enrolled, new)
    assert progress.course_progress(enrolled, course).completed
    assert Enrolment.objects.get(user=enrolled).completed_at == completed_at


def test_unpublishing_or_deleting_a_lesson_removes_it_from_the_count(enrolled, course, lessons):
    progress.mark_complete(enrolled, lessons[0])
    progress.mark_complete(enrolled, lessons[1])
    lessons[1].unpublish()
    result = progress.course_progress(enrolled, course)
    assert (result.done, result.total) == (1, 2)

    lessons[2].delete()
    result = progress.course_progress(enrolled, course)
    assert (result.done, result.total, result.completed) == (1, 1, True)

    lessons[1].save_revision().publish()
    assert progress.course_progress(enrolled, course).done == 2  # the completion was kept


def test_marking_complete_twice_is_harmless(enrolled, lessons):
    progress.mark_complete(enrolled, lessons[0])
    progress.mark_complete(enrolled, lessons[0])
    assert LessonCompletion.objects.filter(user=enrolled).count() == 1


def test_marking_complete_requires_an_enrolment(other_collector, lessons):
    with pytest.raises(progress.NotEnrolled):
        progress.mark_complete(other_collector, lessons[0])
    assert not LessonCompletion.objects.exists()


def test_a_course_without_lessons_is_not_complete(collector, db):
    from .pages import make_course

    empty = make_course("empty", lessons=0)
    result = progress.course_progress(collector, empty)
    assert (result.done, result.total, result.completed, result.next_lesson) == (0, 0, False, None)


def test_progress_for_several_courses_matches_each_course(enrolled, course, lessons):
    from .pages import make_course

    other = make_course("other", lessons=2)
    progress.enrol(enrolled, other)
    progress.mark_complete(enrolled, lessons[0])
    progress.mark_complete(enrolled, lessons_of(other)[0])
    progress.mark_complete(enrolled, lessons_of(other)[1])

    result = progress.progress_for_courses(enrolled, [course, other])

    assert result[course.pk] == progress.course_progress(enrolled, course)
    assert result[other.pk] == progress.course_progress(enrolled, other)
    assert result[other.pk].completed and not result[course.pk].completed
