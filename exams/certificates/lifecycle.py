"""What happens to a certificate after it is issued: the email, expiry, reminders, revocation.

Each job is a plain function here, run by a Celery task in ``tasks.py`` (beat runs the
periodic ones). All of them are safe to run twice or concurrently: a status changes under a
row lock or in one conditional UPDATE, and each email is claimed in the database before it is
sent, so a second run finds the claim and sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.tasks import send_email

from . import audit, emails, signals
from .models import (
    HELD_STATUSES,
    Certificate,
    CertificateReminder,
    CertificateStatus,
    CertificateSuspension,
)
from .suspension import end_suspension

logger = logging.getLogger(__name__)

# Days before expiry at which the holder is reminded, furthest first.
REMINDER_DAYS = (60, 30, 7)
# How long after issuance the sweep still sends an issuance email that never went out (the
# broker was down when the certificate was issued); older ones are left to "My certificates".
ISSUED_EMAIL_SWEEP_WINDOW = timedelta(days=7)
# The task queued at issuance gets this long before the sweep assumes it was lost.
ISSUED_EMAIL_GRACE = timedelta(minutes=15)


# --- Expiry ------------------------------------------------------------------------------------


def expire_certificates(now: datetime | None = None) -> int:
    """Mark every valid or suspended certificate past its expiry as expired; returns how many
    changed. A suspension in force ends with the outcome "expired" (there is nothing left to
    reinstate).

    One conditional UPDATE under row locks: a concurrent run waits for the locks, then finds
    the rows no longer valid, so each certificate changes (and is announced) once.
    ``certificate_status_changed`` goes out for each after the transaction commits.
    """
    now = now or timezone.now()
    # A suspended certificate still expires: suspension pauses its validity, not its clock.
    due = Certificate.objects.filter(status__in=HELD_STATUSES, expires_at__lte=now)
    with transaction.atomic():
        rows = list(due.select_for_update().values_list("pk", "status"))
        if not rows:
            return 0
        ids = [pk for pk, _status in rows]
        suspended = [pk for pk, status in rows if status == CertificateStatus.SUSPENDED]
        ended: dict[int, int] = {}
        if suspended:
            open_ = CertificateSuspension.objects.filter(
                certificate_id__in=suspended, ended_at__isnull=True
            )
            ended = dict(open_.values_list("certificate_id", "pk"))
            open_.update(ended_at=now, outcome=CertificateSuspension.Outcome.EXPIRED)
        changed = due.filter(pk__in=ids).update(
            status=CertificateStatus.EXPIRED, status_changed_at=now
        )
        transaction.on_commit(partial(_announce, ids, CertificateStatus.EXPIRED))
        _record_expired(dict(rows), ended, now)
    return changed


def _record_expired(from_status: dict[int, str], ended: dict[int, int], now: datetime) -> None:
    """One ``certificate.expired`` event per certificate the sweep expired (two queries for
    the certificates and their holders' firms, then the appends)."""
    expired = list(Certificate.objects.filter(pk__in=from_status).order_by("pk"))
    firms = audit.holder_firms({certificate.holder_id for certificate in expired}, now)
    for certificate in expired:
        audit.record_certificate(
            "certificate.expired",
            certificate,
            now=now,
            firms=firms.get(certificate.holder_id, []),
            payload={
                "from_status": from_status[certificate.pk],
                "suspension_ended_id": ended.get(certificate.pk),
            },
        )


def _announce(ids: list[int], status: str) -> None:
    for certificate in Certificate.objects.filter(pk__in=ids).iterator(chunk_size=500):
        signals.certificate_status_changed.send(Certificate, certificate=certificate, status=status)


# --- Expiry reminders --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Someone a reminder goes to, and which ``CertificateReminder.audience`` records it."""

    audience: str
    user: object


def reminder_recipients(certificate: Certificate) -> list[Recipient]:
    """Who is reminded that ``certificate`` expires soon.

    The extension point for firm managers (a later issue): return a ``Recipient`` with
    ``CertificateReminder.Audience.MANAGER`` for each of the holder's managers, and
    :func:`send_expiry_reminders` records and sends theirs exactly once too.
    """
    return [Recipient(CertificateReminder.Audience.HOLDER, certificate.holder)]


def reminder_due(expires_at: datetime, now: datetime) -> int | None:
    """The reminder that applies now: the nearest threshold the expiry is within, if any.

    A job that was down past a threshold catches up with the nearest one only: 20 days before
    expiry the 30-day reminder applies, never the 60-day one as well.
    """
    left = expires_at - now
    if left <= timedelta(0):
        return None
    applicable = [days for days in REMINDER_DAYS if left <= timedelta(days=days)]
    return min(applicable) if applicable else None


def send_expiry_reminders(now: datetime | None = None) -> int:
    """Email each holder whose certificate expires in 60, 30 or 7 days; returns emails queued.

    Exactly once per certificate, threshold and audience: the ``CertificateReminder`` row is
    inserted first (its unique constraint decides between concurrent runs) and only the run
    that inserted it sends. Reminders already sent are read in one query, so a second run the
    same day costs two queries whatever the number of certificates.
    """
    now = now or timezone.now()
    certificates = list(
        Certificate.objects.filter(
            status=CertificateStatus.VALID,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=max(REMINDER_DAYS)),
        ).select_related(
            "holder",
            "programme__refresher_course",
            "programme__renewal_exam",
            "programme__final_exam",
        )
    )
    sent: dict[tuple[int, str], int] = {}
    for certificate_id, audience, days_before in CertificateReminder.objects.filter(
        certificate__in=certificates
    ).values_list("certificate_id", "audience", "days_before"):
        key = (certificate_id, audience)
        sent[key] = min(days_before, sent.get(key, days_before))
    queued = 0
    for certificate in certificates:
        days = reminder_due(certificate.expires_at, now)
        if days is None:
            continue
        for recipient in reminder_recipients(certificate):
            already = sent.get((certificate.pk, recipient.audience))
            if already is not None and already <= days:
                continue  # this reminder, or a nearer one, went out already
            queued += _remind(certificate, recipient, days, now)
    return queued


def _remind(certificate: Certificate, recipient: Recipient, days: int, now: datetime) -> bool:
    """Claim the reminder (insert its row), then queue the email once that commits."""
    message = emails.expiry_reminder(certificate, recipient.user, days, now)
    try:
        with transaction.atomic():
            reminder = CertificateReminder.objects.create(
                certificate=certificate,
                days_before=days,
                audience=recipient.audience,
                sent_at=now,
            )
            transaction.on_commit(partial(_queue_reminder, reminder.pk, message))
    except IntegrityError:
        return False  # a concurrent run claimed it first
    return True


def _queue_reminder(reminder_id: int, message: dict) -> None:
    """Queue the email; if the broker is down, release the claim so the next run retries."""
    try:
        send_email.delay(**message)
    except Exception:  # noqa: BLE001 — any broker failure: tomorrow's run sends it
        logger.warning("Could not queue certificate reminder %s; will retry", reminder_id)
        CertificateReminder.objects.filter(pk=reminder_id).delete()


# --- Revocation --------------------------------------------------------------------------------


class RevocationError(Exception):
    """The certificate cannot be revoked (already revoked, superseded) or no reason was given."""


REVOCABLE = (CertificateStatus.VALID, CertificateStatus.EXPIRED, CertificateStatus.SUSPENDED)
REVOCATION_FIELDS = [
    "status",
    "status_changed_at",
    "revoked_at",
    "revoked_by",
    "revocation_reason",
]


def revoke(certificate: Certificate, by, reason: str, now: datetime | None = None) -> Certificate:
    """Revoke a valid, expired or suspended certificate, for ``reason``; returns it, updated.
    A suspension in force ends with the outcome "revoked" in the same transaction.

    Under the row lock, so two auditors revoking at once produce one revocation and one clear
    error. The status list, the verification page and the credential all read the status from
    the database, so they show the revocation at once. The holder is emailed (with the reason)
    and ``certificate_status_changed`` sent after the transaction commits. Whether ``by`` may
    revoke is the caller's check (the admin view requires ``exams.revoke_certificate``).
    """
    reason = (reason or "").strip()
    if not reason:
        raise RevocationError(_("Give the reason for revoking this certificate."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update()
            .select_related("holder", "programme")
            .get(pk=certificate.pk)
        )
        if locked.status == CertificateStatus.REVOKED:
            raise RevocationError(_("This certificate has already been revoked."))
        if locked.status not in REVOCABLE:
            raise RevocationError(
                _(
                    "Only a valid, expired or suspended certificate can be revoked; "
                    "this one is %(status)s."
                )
                % {"status": locked.get_status_display()}
            )
        from_status, ended = locked.status, None
        if locked.status == CertificateStatus.SUSPENDED:
            ended = end_suspension(
                locked, outcome=CertificateSuspension.Outcome.REVOKED, by=by, now=now
            )
        locked.status = CertificateStatus.REVOKED
        locked.status_changed_at = now
        locked.revoked_at = now
        locked.revoked_by = by
        locked.revocation_reason = reason
        locked.save(update_fields=REVOCATION_FIELDS)
        for field in REVOCATION_FIELDS:  # the caller's copy shows the revocation too
            setattr(certificate, field, getattr(locked, field))
        emails.send_on_commit(emails.revocation_notice(locked))
        transaction.on_commit(
            partial(
                signals.certificate_status_changed.send,
                Certificate,
                certificate=locked,
                status=CertificateStatus.REVOKED,
            )
        )
        audit.record_certificate(
            "certificate.revoked",
            locked,
            now=now,
            actor=by,
            payload={
                "from_status": from_status,
                "revoked_at": now,
                "suspension_ended_id": ended.pk if ended else None,
            },
            personal={"reason": reason},
        )
    return locked


# --- The email with the PDF --------------------------------------------------------------------


def email_issued_certificate(certificate_id: int, now: datetime | None = None) -> bool:
    """Email the holder their new certificate with the PDF attached; returns whether sent.

    Sent once: ``notified_at`` is claimed by a conditional UPDATE before sending, so duplicate
    deliveries of the task find it claimed. If sending fails the claim is released and the
    error raised, for the task to retry. A certificate revoked before the email went out is
    not sent.
    """
    now = now or timezone.now()
    claimed = Certificate.objects.filter(
        pk=certificate_id, notified_at__isnull=True, status=CertificateStatus.VALID
    ).update(notified_at=now)
    if not claimed:
        return False
    try:
        certificate = Certificate.objects.select_related("holder", "programme").get(
            pk=certificate_id
        )
        emails.issued_certificate(certificate).send()
    except Exception:
        Certificate.objects.filter(pk=certificate_id, notified_at=now).update(notified_at=None)
        raise
    return True


def unsent_issued_emails(now: datetime | None = None) -> list[int]:
    """Recent valid certificates whose email never went out (the broker was down at issuance)."""
    now = now or timezone.now()
    return list(
        Certificate.objects.filter(
            Q(notified_at__isnull=True),
            status=CertificateStatus.VALID,
            issued_at__gte=now - ISSUED_EMAIL_SWEEP_WINDOW,
            issued_at__lte=now - ISSUED_EMAIL_GRACE,
        ).values_list("pk", flat=True)
    )
