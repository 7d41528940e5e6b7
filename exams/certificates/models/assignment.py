"""Programme assignments: a firm manager asks a collector to complete a programme by a date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AssignmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(completed_at__isnull=True, cancelled_at__isnull=True)

    def overdue(self, on=None):
        return self.open().filter(due_on__lt=on or timezone.localdate())


class ProgrammeAssignment(models.Model):
    """A manager assigned a certification programme to a collector with a due date.

    It is complete when the collector is issued a certificate of the programme after the
    assignment, or at once when they already hold a valid one; an open assignment past its due
    date is overdue, shows on the firm's dashboard and lowers the collector's rating.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.CASCADE,
        related_name="programme_assignments",
    )
    programme = models.ForeignKey(
        "certificates.CertificationProgramme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    firm = models.ForeignKey(
        "accounts.Firm",
        verbose_name=_("firm"),
        on_delete=models.CASCADE,
        related_name="programme_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    due_on = models.DateField(_("due on"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme assignment")
        verbose_name_plural = _("programme assignments")
        ordering = ["due_on"]
        db_table = "courses_programmeassignment"  # kept from before the move (0001_initial)
        constraints = [
            models.UniqueConstraint(
                fields=["user", "programme"],
                condition=Q(completed_at__isnull=True, cancelled_at__isnull=True),
                name="assignment_one_open_per_programme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} → {self.user} ({self.due_on})"

    @property
    def is_overdue(self) -> bool:
        return (
            self.completed_at is None
            and self.cancelled_at is None
            and self.due_on < timezone.localdate()
        )
