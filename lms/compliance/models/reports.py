"""Monthly compliance reports sent to firm managers."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.storage import private_storage


class MonthlyReport(models.Model):
    """The compliance report of one firm for one month, and when it went to the managers.

    Why a row: Celery delivers at least once and beat may fire twice, so the unique
    (firm, month) row is what makes each report go out exactly once; the stored PDF is what
    the managers received, kept for the record. It names a firm's collectors and findings, so
    it sits in private storage (never served by the proxy or a public URL).
    """

    firm = models.ForeignKey(
        "accounts.Firm",
        verbose_name=_("firm"),
        on_delete=models.CASCADE,
        related_name="monthly_reports",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.JSONField(_("sent to"), default=list, blank=True)
    pdf = models.FileField(
        _("PDF"),
        upload_to="compliance/reports/%Y/",
        max_length=200,
        blank=True,
        storage=private_storage,
    )

    class Meta:
        verbose_name = _("monthly compliance report")
        verbose_name_plural = _("monthly compliance reports")
        ordering = ["-month", "firm"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "month"], name="monthly_report_once"),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="monthly_report_first_of_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} {self.month:%Y-%m}"
