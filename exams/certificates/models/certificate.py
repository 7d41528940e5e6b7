"""Certificates: the issuance record written with the passing grade, and the certificate itself.

Issuance is split in two so that nothing is lost or duplicated:

* an :class:`IssuanceRequest` is written in the same transaction as the grade (or the course
  completion) that makes a collector eligible, so a broker outage loses nothing — a periodic
  sweep dispatches any request still open;
* the Celery task turns a request into exactly one :class:`Certificate` (a one-to-one column
  makes a second impossible) and renders its PDF in the same transaction, so a worker killed
  mid-render leaves neither a duplicate nor a certificate without its PDF.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.storage import private_storage

if TYPE_CHECKING:
    from ..updates import PendingUpdate
    from ..views import Renewal
    from .law_change import CertificateSuspension


def new_verification_code() -> str:
    """128 random bits, URL-safe: printed on the certificate, impossible to guess."""
    return secrets.token_urlsafe(16)


def new_subject_salt() -> str:
    return secrets.token_hex(16)


class IssuanceKind(models.TextChoices):
    INITIAL = "initial", _("First certification")
    RENEWAL = "renewal", _("Renewal")
    # After a law change: the holder completed the programme's update module, and the
    # certificate is reissued on the new legal basis with the same expiry (law_change.py).
    REFRESH = "refresh", _("Legal update")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")
    # Reversible: not valid while suspended (a missed legal-update deadline, or an open critical
    # audit finding); see CertificateSuspension for why and since when.
    SUSPENDED = "suspended", _("Suspended")


# A certificate its holder still holds: valid, or suspended (reversible). Both still expire, and
# both are reached by an update module.
HELD_STATUSES = (CertificateStatus.VALID.value, CertificateStatus.SUSPENDED.value)


class IssuanceRequest(models.Model):
    """A collector became eligible for a certificate; the certificate follows from a task.

    Written in the transaction that records the passing grade, so it exists exactly when the
    grade does. ``completed_at`` is set in the transaction that creates the certificate.
    """

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="issuance_requests",
    )
    programme = models.ForeignKey(
        "certificates.CertificationProgramme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="issuance_requests",
    )
    attempt = models.OneToOneField(
        "exams.Attempt",
        verbose_name=_("passing attempt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issuance_request",
        help_text=_("Empty only for a legal-update refresh, which an update module earns."),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=IssuanceKind.choices, default=IssuanceKind.INITIAL
    )
    renews = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("renews"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal_requests",
    )
    update_module = models.ForeignKey(
        "certificates.UpdateModule",
        verbose_name=_("update module"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issuance_requests",
        help_text=_("For a legal-update refresh: the module whose completion earned it."),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("last dispatched at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("failed tries"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("certificate issuance")
        verbose_name_plural = _("certificate issuances")
        ordering = ["-created_at"]
        db_table = "exams_issuancerequest"  # kept from before the move (0001_initial)
        constraints = [
            # At most one issuance in flight per holder and programme: a second passing attempt
            # while the first is being issued does not queue a second certificate.
            models.UniqueConstraint(
                fields=["holder", "programme"],
                condition=Q(completed_at__isnull=True),
                name="issuance_one_open_per_holder_programme",
            ),
            models.CheckConstraint(
                condition=(Q(kind="refresh") & Q(update_module__isnull=False))
                | (~Q(kind="refresh") & Q(attempt__isnull=False)),
                name="issuance_attempt_or_update_module",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(completed_at__isnull=True),
                name="issuance_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} → {self.holder} ({self.get_kind_display()})"


class Certificate(models.Model):
    """A certificate a collector shows a firm, a debtor or a regulator.

    Everything printed on it is a snapshot (name, programme, score, dates), so later edits to the
    user or the programme never change what was certified. The public verification page and the
    Open Badges credential are found by ``verification_code``, never by the serial, which is
    printed and guessable.
    """

    request = models.OneToOneField(
        IssuanceRequest,
        verbose_name=_("issuance"),
        on_delete=models.PROTECT,
        related_name="certificate",
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    programme = models.ForeignKey(
        "certificates.CertificationProgramme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    serial = models.CharField(_("serial number"), max_length=24, unique=True)
    verification_code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=new_verification_code
    )
    holder_name = models.CharField(_("holder's name"), max_length=150)
    programme_name = models.CharField(_("programme name"), max_length=120)
    score = models.DecimalField(_("exam score (%)"), max_digits=5, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    superseded_by = models.OneToOneField(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supersedes",
    )
    basis = models.ManyToManyField(
        "content.Regulation",
        verbose_name=_("legal basis"),
        through="certificates.CertificateBasis",
        related_name="certificates",
        blank=True,
        help_text=_("The regulation versions this certificate covers, fixed at issuance."),
    )
    status_index = models.PositiveIntegerField(
        _("status list index"),
        unique=True,
        help_text=_(
            "This certificate's bit in the published status lists (revocation and suspension)."
        ),
    )
    subject_salt = models.CharField(max_length=32, default=new_subject_salt, editable=False)
    identity_hash = models.CharField(
        max_length=80,
        blank=True,
        editable=False,
        help_text=_("The holder's salted email hash, as published in the signed credential."),
    )
    pdf = models.FileField(
        _("PDF"), upload_to="certificates/%Y/", max_length=200, storage=private_storage
    )
    notified_at = models.DateTimeField(
        _("holder notified at"),
        null=True,
        blank=True,
        help_text=_("When the email with the PDF went to the holder (sent once)."),
    )

    if TYPE_CHECKING:
        # Not fields: set on the instances a view lists, for its template.
        public_status: str  # status_on(now), what the holder and their firm see
        renewal: Renewal  # the holder's certificates page, for a valid certificate
        suspension: CertificateSuspension | None  # the same page, for a suspended one
        update: PendingUpdate | None  # the same page: a legal update still to complete

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]
        db_table = "exams_certificate"  # kept from before the move (0001_initial)
        constraints = [
            # One valid certificate per holder and programme: renewal supersedes the old one in
            # the transaction that issues the new one.
            models.UniqueConstraint(
                fields=["holder", "programme"],
                condition=Q(status="valid"),
                name="certificate_one_valid_per_holder_programme",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("issued_at")),
                name="certificate_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                name="certificate_revoked_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="certificate_status_expiry_idx")
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.holder_name}"

    @property
    def verification_url(self) -> str:
        """The public verification page's path (the QR code holds the absolute URL)."""
        return reverse("certificates:verify", args=[self.verification_code])

    @property
    def credential_url(self) -> str:
        """The signed Open Badges 3.0 credential's path."""
        return reverse("certificates:verify_json", args=[self.verification_code])

    @property
    def absolute_verification_url(self) -> str:
        return settings.SITE_BASE_URL.rstrip("/") + self.verification_url

    @property
    def open_suspension(self):
        """The suspension in force, or None (one query unless prefetched)."""
        return self.suspensions.filter(ended_at__isnull=True).first()

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID and self.expires_at > timezone.now()

    def status_on(self, now=None) -> str:
        """The status a verifier must see: a valid (or suspended) certificate past its expiry
        is expired even before the nightly job has marked it."""
        now = now or timezone.now()
        if self.status in HELD_STATUSES and self.expires_at <= now:
            return CertificateStatus.EXPIRED
        return self.status

    def in_renewal_window(self, now=None) -> bool:
        """Whether the holder may renew now: valid and within the programme's window."""
        now = now or timezone.now()
        window = timedelta(days=self.programme.renewal_window_days)
        return self.status == CertificateStatus.VALID and self.expires_at - window <= now


class CertificateReminder(models.Model):
    """An expiry reminder that was sent; the unique row makes each one go out exactly once."""

    class Audience(models.TextChoices):
        HOLDER = "holder", _("Holder")
        MANAGER = "manager", _("Firm manager")

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField(_("days before expiry"))
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.HOLDER)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("certificate reminder")
        verbose_name_plural = _("certificate reminders")
        db_table = "exams_certificatereminder"  # kept from before the move (0001_initial)
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "days_before", "audience"],
                name="certificate_reminder_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate} −{self.days_before}d ({self.audience})"
