"""Attempts: a collector's frozen paper, saved answers, and the graded result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    TIMED_OUT = "timed_out", _("Closed at the time limit")


class Attempt(models.Model):
    """One sitting of an exam by one person.

    The paper is frozen when the attempt starts (``AttemptQuestion`` rows pointing at question
    versions, in a seeded order), the deadline is fixed then, and the result is written once,
    when the attempt is submitted or closed at the deadline. The constraints make a second
    in-progress attempt, or two attempts with the same number, impossible even under
    concurrent requests.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts"
    )
    exam = models.ForeignKey("exams.ExamPage", on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    seed = models.BigIntegerField()
    status = models.CharField(
        max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("exam attempt")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exam", "number"], name="attempt_unique_number"
            ),
            models.UniqueConstraint(
                fields=["user", "exam"],
                condition=models.Q(status="in_progress"),
                name="attempt_one_in_progress",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="attempt_open_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.exam_id} #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS


class AttemptQuestion(models.Model):
    """One question of a frozen paper: its version, choice order, the answer and its mark."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    version = models.ForeignKey("exams.QuestionVersion", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "exams.QuestionVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a case sub-question: the case whose text is shown above it."),
    )
    # Copied from the version when the paper is drawn: autosave validates against it without
    # reading the version's (large) snapshot.
    question_type = models.CharField(max_length=20, default="", editable=False)
    choice_order = models.JSONField(default=list)
    response = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    mark = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    max_mark = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("attempt question")
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="attemptquestion_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} Q{self.position}"
