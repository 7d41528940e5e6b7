"""Course models: one module per concept."""

from .enrolment import Enrolment, LessonCompletion
from .pages import CourseIndexPage, CourseLevel, CoursePage, CourseTopic, LessonPage

__all__ = [
    "CourseIndexPage",
    "CourseLevel",
    "CoursePage",
    "CourseTopic",
    "Enrolment",
    "LessonCompletion",
    "LessonPage",
]
