"""Course models: one module per concept."""

from .assignment import ProgrammeAssignment
from .enrolment import Enrolment, LessonCompletion
from .pages import CourseIndexPage, CourseLevel, CoursePage, CourseTopic, LessonPage
from .programme import CertificationProgramme

__all__ = [
    "CertificationProgramme",
    "CourseIndexPage",
    "CourseLevel",
    "CoursePage",
    "CourseTopic",
    "Enrolment",
    "LessonCompletion",
    "LessonPage",
    "ProgrammeAssignment",
]
