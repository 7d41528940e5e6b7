"""Suspending a certificate and reinstating it: the one place either happens.

Suspension is reversible, revocation is not. A certificate is suspended when its holder misses
a legal-update deadline (``law-change``) or while a critical audit finding against the holder
is open (``finding``); it is reinstated when the reason goes away. Each call locks the
certificate's row, changes its status and opens or closes a :class:`CertificateSuspension` in
one transaction, and ``certificate_status_changed`` goes out after it commits (ratings,
webhooks). Calling either twice changes nothing the second time.

Reinstating a certificate whose legal-update deadline passed while it was suspended for another
reason (a finding) would make it valid until the nightly job suspends it again: two webhooks,
two recomputes. ``updates.reinstate`` (which knows the update modules) switches the suspension
to that update instead (:func:`switch_to_law_change`): the certificate stays suspended, and no
status is announced.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit, emails, signals
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
        audit.record_certificate(
            "certificate.suspended",
            locked,
            now=now,
            actor=by,
            payload={
                "from_status": CertificateStatus.VALID,
                "suspension_id": suspension.pk,
                "category": category,
                "update_module_id": module.pk if module else None,
            },
            personal={"reason": reason},
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
    suspended. A certificate whose expiry passed while suspended becomes expired instead.

    Ending a finding's suspension goes through ``updates.reinstate``, which first checks
    whether a legal-update deadline passed meanwhile (then the certificate stays suspended,
    for the update: :func:`switch_to_law_change`)."""
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
        reinstated = status == CertificateStatus.VALID
        audit.record_certificate(
            "certificate.reinstated" if reinstated else "certificate.expired",
            locked,
            now=now,
            actor=by,
            payload={
                "from_status": CertificateStatus.SUSPENDED,
                "suspension_id": suspension.pk if suspension else None,
                "suspension_category": suspension.category if suspension else None,
                "suspension_outcome": outcome,
            },
        )
    certificate.status, certificate.status_changed_at = locked.status, now
    return suspension


def switch_to_law_change(
    certificate: Certificate,
    *,
    module: UpdateModule,
    reason: str,
    by=None,
    now: datetime | None = None,
) -> CertificateSuspension | None:
    """End a suspended certificate's open suspension as ``replaced`` and open a ``law-change``
    one for ``module`` in its place, in one transaction; returns the ended one (None if the
    certificate is not suspended, or already suspended for ``module``). ``reason`` says which
    deadline it missed.

    The status stays SUSPENDED (``status_changed_at`` too), so no status is announced; the
    holder is emailed the new category and the course to take. ``by`` ended the old one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.status != CertificateStatus.SUSPENDED:
            return None
        current = locked.suspensions.filter(ended_at__isnull=True).first()
        if current is not None and current.update_module_id == module.pk:
            return None
        ended = end_suspension(
            locked, outcome=CertificateSuspension.Outcome.REPLACED, by=by, now=now
        )
        opened = CertificateSuspension.objects.create(
            certificate=locked,
            category=CertificateSuspension.Category.LAW_CHANGE,
            reason=reason,
            update_module=module,
            started_at=now,
            started_by=None,  # the platform's rule, as for the nightly suspensions
        )
        emails.send_on_commit(emails.suspension_notice(locked, opened))
        # Still suspended, now for the missed update: a new suspension, so a new event.
        audit.record_certificate(
            "certificate.suspended",
            locked,
            now=now,
            actor=by,
            payload={
                "from_status": CertificateStatus.SUSPENDED,
                "suspension_id": opened.pk,
                "category": opened.category,
                "update_module_id": module.pk,
                "replaces_suspension_id": ended.pk if ended else None,
            },
            personal={"reason": reason},
        )
    return ended
