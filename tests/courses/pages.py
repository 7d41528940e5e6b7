"""Builders for the course tree in tests: index → course → lessons, as trainers publish them."""

from __future__ import annotations

from content.models import HomePage
from courses.models import CourseIndexPage, CoursePage, CourseTopic, LessonPage


def course_index() -> CourseIndexPage:
    existing = CourseIndexPage.objects.first()
    if existing:
        return existing
    index = CourseIndexPage(title="课程", slug="courses", intro="合规催收课程")
    HomePage.objects.get().add_child(instance=index)
    index.save_revision().publish()
    return index


def make_course(
    slug: str = "rules",
    title: str = "催收合规基础",
    lessons: int = 3,
    topic: str = CourseTopic.BANKING_RULES,
    **fields,
) -> CoursePage:
    """A published course with ``lessons`` live lessons (slugs lesson-1, lesson-2, ...)."""
    fields.setdefault("summary", "催收员必须了解的监管规定。")
    course = CoursePage(title=title, slug=slug, topic=topic, **fields)
    course_index().add_child(instance=course)
    course.save_revision().publish()
    for number in range(1, lessons + 1):
        add_lesson(course, f"第{number}课", slug=f"lesson-{number}")
    return course


def add_lesson(
    course: CoursePage, title: str, slug: str, body: list | None = None, **fields
) -> LessonPage:
    """A live lesson appended at the end of the course."""
    lesson = LessonPage(title=title, slug=slug, body=body or [], **fields)
    course.add_child(instance=lesson)
    return lesson


def lessons_of(course: CoursePage) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).order_by("path"))
