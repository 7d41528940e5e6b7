"""Suspending a certificate and reinstating it: the one place either happens.

Suspension is reversible, revocation is not. A certificate is suspended when its holder misses
a legal-update deadline (``law-change``) or while a critical audit finding against the holder
is open (``finding``); it is reinstated when the reason goes away. Each call locks the
certificate's row, changes its status and opens or closes a :class:`CertificateSuspension` in
one transaction, and ``certificate_status_changed`` goes out after it commits (ratings,
webhooks). Calling either twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import emails, signals
from .models import Certificate, CertificateStatus, CertificateSuspension, UpdateModule


class SuspensionError(ValueError):
    """The certificate cannot be suspended or reinstated in its current state."""


def suspend(
    certificate: Certificate,
    *,
    category: str,
    reason: str,
    by=None,
    module: UpdateModule | None = None,
    now: datetime | None = None,
) -> CertificateSuspension:
    """Suspend a valid, unexpired certificate; return the open suspension.

    Already suspended: the open suspension is returned unchanged (idempotent). Anything else
    (expired, revoked, superseded) raises :class:`SuspensionError`.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise SuspensionError(_("Give a reason for the suspension."))
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.status == CertificateStatus.SUSPENDED:
            open_ = locked.suspensions.filter(ended_at__isnull=True).first()
            if open_ is not None:
                return open_
        if locked.status != CertificateStatus.VALID or locked.expires_at <= now:
            raise SuspensionError(
                _("Only a valid certificate can be suspended; this one is %(status)s.")
                % {"status": CertificateStatus(locked.status_on(now)).label}
            )
        suspension = CertificateSuspension.objects.create(
            certificate=locked,
            category=category,
            reason=reason,
            update_module=module,
            started_at=now,
            started_by=by,
        )
        Certificate.objects.filter(pk=locked.pk).update(
            status=CertificateStatus.SUSPENDED, status_changed_at=now
        )
        locked.status, locked.status_changed_at = CertificateStatus.SUSPENDED, now
        emails.send_on_commit(emails.suspension_notice(locked, suspension))
        transaction.on_commit(
            partial(
                signals.certificate_status_changed.send,
                Certificate,
                certificate=locked,
                status=CertificateStatus.SUSPENDED,
            )
        )
    certificate.status, certificate.status_changed_at = locked.status, now
    return suspension


def end_suspension(
    certificate: Certificate,
    *,
    outcome: str,
    by=None,
    now: datetime | None = None,
) -> CertificateSuspension | None:
    """Close the open suspension with ``outcome`` (inside the caller's transaction, under its
    lock); the caller sets the certificate's new status. Returns the closed row, or None."""
    now = now or timezone.now()
    suspension = (
        CertificateSuspension.objects.select_for_update()
        .filter(certificate=certificate, ended_at__isnull=True)
        .first()
    )
    if suspension is None:
        return None
    suspension.ended_at, suspension.ended_by, suspension.outcome = now, by, outcome
    suspension.save(update_fields=["ended_at", "ended_by", "outcome"])
    return suspension


def reinstate(
    certificate: Certificate, *, by=None, now: datetime | None = None
) -> CertificateSuspension | None:
    """Make a suspended certificate valid again (the reason went away); None if it was not
    suspended. A certificate whose expiry passed while suspended becomes expired instead."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.status != CertificateStatus.SUSPENDED:
            return None
        expired = locked.expires_at <= now
        outcome = (
            CertificateSuspension.Outcome.EXPIRED
            if expired
            else CertificateSuspension.Outcome.REINSTATED
        )
        suspension = end_suspension(locked, outcome=outcome, by=by, now=now)
        status = CertificateStatus.EXPIRED if expired else CertificateStatus.VALID
        Certificate.objects.filter(pk=locked.pk).update(status=status, status_changed_at=now)
        locked.status, locked.status_changed_at = status, now
        if status == CertificateStatus.VALID:
            emails.send_on_commit(emails.reinstatement_notice(locked))
        transaction.on_commit(
            partial(
                signals.certificate_status_changed.send,
                Certificate,
                certificate=locked,
                status=status,
            )
        )
    certificate.status, certificate.status_changed_at = locked.status, now
    return suspension
