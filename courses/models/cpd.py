"""The CPD hours ledger (继续教育学时): every hour of training that counts, and where it came from.

Entries are append-only. Each has its source: an event session attended (``registration``), an
online course completed (``enrolment``), or a manual adjustment with its reason and who made
it. A correction (a trainer changes "attended" to "partly attended") is a further entry for the
same registration, never an edit, so the balance of a registration's entries is always what its
attendance is worth and the history of how it got there stays readable.

``earned_on`` is the Beijing date the hours count for (the session's day, the completion's
day): renewal cycles and the rating's 12-month window read it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CPDSource(models.TextChoices):
    SESSION = "session", _("Event session")
    COURSE = "course", _("Online course")
    ADJUSTMENT = "adjustment", _("Manual adjustment")


class CPDEntry(models.Model):
    """One credit (or correcting debit) of CPD hours to a person's ledger."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.PROTECT,
        related_name="cpd_entries",
    )
    source = models.CharField(_("source"), max_length=16, choices=CPDSource.choices)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    offline = models.BooleanField(
        _("offline"), default=False, help_text=_("In-person training (salons, summits).")
    )
    earned_on = models.DateField(_("counts on"))
    registration = models.ForeignKey(
        "content.Registration",
        verbose_name=_("session registration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cpd_entries",
    )
    enrolment = models.ForeignKey(
        "courses.Enrolment",
        verbose_name=_("course enrolment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cpd_entries",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("CPD entry")
        verbose_name_plural = _("CPD entries")
        ordering = ["earned_on", "created_at", "pk"]
        indexes = [models.Index(fields=["user", "earned_on"], name="cpdentry_user_earned")]
        constraints = [
            # A completed course credits its hours once.
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(enrolment__isnull=False),
                name="cpdentry_one_per_enrolment",
            ),
            models.CheckConstraint(
                condition=(
                    Q(source="session", registration__isnull=False, enrolment__isnull=True)
                    | Q(source="course", enrolment__isnull=False, registration__isnull=True)
                    | (
                        Q(source="adjustment", registration__isnull=True, enrolment__isnull=True)
                        & ~Q(reason="")
                        & Q(created_by__isnull=False)
                    )
                ),
                name="cpdentry_source_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.hours:+} ({self.get_source_display()})"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("The CPD ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The CPD ledger is append-only.")
