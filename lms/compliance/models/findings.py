"""Audit findings (稽核): what an auditor found a collector doing, and the appeal against it.

Only confirmed findings count in ratings. A finding is open when recorded; an auditor confirms
or dismisses it; the collector or their manager may appeal once, and an auditor decides the
appeal (upheld → dismissed, rejected → confirmed again).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from lms.lib.models import DecisionMixin
from lms.storage import private_storage


class FindingSource(models.TextChoices):
    FIELD_AUDIT = "field_audit", _("Field audit")
    CALL_REVIEW = "call_review", _("Call-recording review")
    COMPLAINT = "complaint", _("Complaint")


class FindingCategory(models.TextChoices):
    THREATS = "threats", _("Threats or violence")
    UNREASONABLE_HOURS = "hours", _("Contact at unreasonable hours")
    THIRD_PARTIES = "third_parties", _("Contacting third parties")
    DISCLOSURE = "disclosure", _("Disclosing debtor information")
    IMPERSONATION = "impersonation", _("Impersonating officials or lawyers")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    APPEALED = "appealed", _("Appealed")


class Finding(DecisionMixin, ClusterableModel):
    """One audit finding against one collector. ``firm`` is the firm they were with when it
    happened, kept even if they move on, so firm statistics stay true to the time. The auditor's
    decision (confirm or dismiss) is in the :class:`~lms.lib.models.DecisionMixin` fields."""

    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.PROTECT,
        related_name="findings",
    )
    firm = models.ForeignKey(
        "accounts.Firm",
        verbose_name=_("firm"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    occurred_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=20, choices=FindingSource.choices)
    category = models.CharField(_("category"), max_length=20, choices=FindingCategory.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("description"))
    regulation = models.ForeignKey(
        "content.Regulation",
        verbose_name=_("article breached"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["-occurred_on", "-recorded_at"]
        indexes = [
            models.Index(fields=["collector", "status"], name="finding_collector_status_idx"),
            models.Index(fields=["status", "occurred_on"], name="finding_status_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.collector} · {self.occurred_on}"


class FindingEvidence(models.Model):
    """A file supporting a finding (photo, recording excerpt, complaint letter).

    Stored under a private prefix and served only through a permission-checked view, with
    ``content_type``: the type detected from the file's content when it was uploaded (the
    allow-list in ``lms.uploads``), never one guessed from its name.
    """

    finding = ParentalKey(Finding, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(
        _("file"), upload_to="compliance/evidence/%Y/%m/", max_length=200, storage=private_storage
    )
    content_type = models.CharField(
        _("content type"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("Detected from the content on upload; empty means “serve as a download”."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        # A file field that is not nullable holds a name ("" when empty), never None.
        return self.description or self.file.name or ""


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld (finding dismissed)")
    REJECTED = "rejected", _("Rejected (finding stands)")


class Appeal(DecisionMixin, models.Model):
    """The one appeal a finding may have (the one-to-one column enforces "once"); the auditor's
    decision on it is in the :class:`~lms.lib.models.DecisionMixin` fields."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="appeal")
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appellant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    grounds = models.TextField(_("grounds"))
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    status_before = models.CharField(max_length=10, choices=FindingStatus.choices)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=AppealOutcome.choices, blank=True
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.finding} ({self.outcome or 'pending'})"


class FindingSuspension(models.Model):
    """A certificate an auditor suspended while a critical finding against its holder is open.

    The suspension itself (status, dates, who, how it ended) is the certificate's
    ``CertificateSuspension``; this row says which finding it waits for. Dismissing the finding
    reinstates the certificate; confirming it makes the auditor choose, per certificate, to
    revoke it or reinstate it (``lms.compliance.findings``).
    """

    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.PROTECT,
        related_name="suspensions",
    )
    suspension = models.OneToOneField(
        "certificates.CertificateSuspension",
        verbose_name=_("certificate suspension"),
        on_delete=models.PROTECT,
        related_name="finding_link",
    )

    class Meta:
        verbose_name = _("suspension pending a finding")
        verbose_name_plural = _("suspensions pending findings")

    def __str__(self) -> str:
        return f"{self.finding} → {self.suspension}"
