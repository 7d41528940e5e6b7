"""Certificates of attendance: a one-page record that someone attended a salon or summit session.

Unlike a certification (:class:`Certificate`) it certifies a fact, not a competence: it has no
programme, score, expiry or status. It is issued when a session of an event whose page asks
for it (``EventPage.attendance_certificates``) is closed, exactly once per attendance, with its
PDF rendered in the same transaction, and it is verifiable at the same ``/verify/<code>/``
address.

An attendance corrected after closing (no-show after all, other hours) revokes its certificate
(``revoked_at``, ``revocation_reason``: the correction's reason); when the person still
attended, a new certificate with the corrected hours replaces it. A registration can so have
several certificates over time but only one unrevoked (a partial unique constraint).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lms.storage import private_storage

from .certificate import new_verification_code


class AttendanceCertificate(models.Model):
    """A snapshot of who attended what, when and where, and the hours it was worth."""

    registration = models.ForeignKey(
        "content.Registration",
        verbose_name=_("registration"),
        on_delete=models.PROTECT,
        related_name="attendance_certificates",
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="attendance_certificates",
    )
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    verification_code = models.CharField(
        _("verification code"), max_length=40, unique=True, default=new_verification_code
    )
    holder_name = models.CharField(_("holder's name"), max_length=150)
    event_title = models.CharField(_("event"), max_length=255)
    session_start = models.DateTimeField(_("session starts"))
    session_end = models.DateTimeField(_("session ends"))
    place = models.CharField(_("place"), max_length=255, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    pdf = models.FileField(
        _("PDF"),
        upload_to="certificates/attendance/%Y/",
        max_length=200,
        storage=private_storage,
    )

    class Meta:
        verbose_name = _("certificate of attendance")
        verbose_name_plural = _("certificates of attendance")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # One certificate in force per attendance; revoked ones stay as history.
            models.UniqueConstraint(
                fields=["registration"],
                condition=models.Q(revoked_at__isnull=True),
                name="attendancecertificate_one_current",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def verification_url(self) -> str:
        return reverse("certificates:verify", args=[self.verification_code])

    @property
    def absolute_verification_url(self) -> str:
        return settings.SITE_BASE_URL.rstrip("/") + self.verification_url
