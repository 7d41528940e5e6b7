"""Who studies which course, and which lessons they have finished.

Only facts are stored (an enrolment, a completed lesson); progress is derived from them and the
course's live lessons each time, so adding, removing, unpublishing or reordering lessons can
never leave a stale counter behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from courses.progress import Progress


class Enrolment(models.Model):
    """A learner has signed up for a course; ``completed_at`` records when they first finished
    every lesson, and stays set as a historical fact if lessons are added later."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    if TYPE_CHECKING:
        # Not stored: my_learning attaches each enrolment's derived progress for its template.
        progress: Progress

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrolment_unique_user_course")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.course_id}"


class LessonCompletion(models.Model):
    """A learner finished a lesson (marked it complete, or moved on from its end)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="lesson_completions",
    )
    lesson = models.ForeignKey(
        "courses.LessonPage",
        verbose_name=_("lesson"),
        on_delete=models.CASCADE,
        related_name="completions",
    )
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    class Meta:
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson"], name="lessoncompletion_unique_user_lesson"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ✓ {self.lesson_id}"
