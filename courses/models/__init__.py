"""Course models: one module per concept."""

from .cpd import CPDEntry, CPDSource
from .enrolment import Enrolment, LessonCompletion
from .pages import CourseIndexPage, CourseLevel, CoursePage, CourseTopic, LessonPage

__all__ = [
    "CPDEntry",
    "CPDSource",
    "CourseIndexPage",
    "CourseLevel",
    "CoursePage",
    "CourseTopic",
    "Enrolment",
    "LessonCompletion",
    "LessonPage",
]
