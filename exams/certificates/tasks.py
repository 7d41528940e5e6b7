"""Certificate tasks: issuing, the sweeps that make up for a lost broker message, expiry,
reminders and the issuance email.

Task names follow the module (``exams.certificates.tasks.*``); until the move they were
``exams.tasks.*``. A message still queued under an old name when workers are upgraded is not
lost work: the :class:`IssuanceRequest` it was for stays open, and the
``dispatch_pending_issuances`` sweep queues it again under the new name once
``issuance.REDISPATCH_AFTER`` has passed (the outbox); an issuance email is likewise sent by
``email_unsent_certificates``. The domain work is in ``issuance`` and ``lifecycle``; this
module only queues it, so neither of them imports Celery tasks.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from . import attendance, issuance, lifecycle, updates
from .models import IssuanceRequest

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def issue_certificate(self, request_id: int) -> int | None:
    """Issue the certificate for one issuance request; returns the certificate's id.

    Safe under retries and duplicate deliveries: the request's row lock and its one-to-one
    certificate make a second run return the first run's certificate. ``acks_late`` with
    ``reject_on_worker_lost`` hands the message to another worker if this one dies mid-render;
    the transaction it died in leaves nothing behind.
    """
    try:
        certificate = issuance.issue(request_id)
    except Exception as error:
        issuance.record_failure(request_id, error)
        raise
    return certificate.pk if certificate else None


@shared_task(acks_late=True)
def dispatch_pending_issuances() -> int:
    """The sweep: re-queue issuance requests the broker never got or a dead worker dropped.

    Runs every few minutes from beat; a request already issued is skipped by the task itself.
    """
    return dispatch_pending()


# --- Certificate lifecycle (lifecycle.py) ------------------------------------------------------


@shared_task(acks_late=True)
def expire_certificates() -> int:
    """Daily: mark valid certificates past their expiry as expired; returns how many.

    Idempotent: a second run (or a redelivery) finds nothing still valid and past expiry.
    """
    return lifecycle.expire_certificates()


@shared_task(acks_late=True)
def send_expiry_reminders() -> int:
    """Daily: remind holders 60, 30 and 7 days before expiry; returns how many were queued.

    Each reminder goes out once however often this runs (a unique row per reminder).
    """
    return lifecycle.send_expiry_reminders()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),  # smtplib.SMTPException is an OSError; so are socket errors
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
)
def email_issued_certificate(self, certificate_id: int) -> bool:
    """Email the holder their new certificate with the PDF attached; returns whether sent.

    Queued when ``certificate_issued`` fires; sent once (``Certificate.notified_at`` is claimed
    first, and released if sending fails so the retry sends it).
    """
    return lifecycle.email_issued_certificate(certificate_id)


@shared_task(acks_late=True)
def email_unsent_certificates() -> int:
    """Hourly sweep: queue the issuance email of recent certificates whose task was lost
    (the broker was down when they were issued). Returns how many were queued."""
    queued = 0
    for certificate_id in lifecycle.unsent_issued_emails():
        email_issued_certificate.delay(certificate_id)
        queued += 1
    return queued


# --- Update modules (updates.py) ---------------------------------------------------------------


@shared_task(acks_late=True)
def notify_update_holders() -> int:
    """Every 15 minutes: email the holders of affected certificates about each live update
    module, once each; returns how many emails were queued (a module's course going live is
    picked up by the next run).

    Also writes and queues the refresh requests the course-completion event missed
    (``updates.request_missed_refreshes``)."""
    queued = updates.notify_all()
    for request in updates.request_missed_refreshes():
        dispatch(request.pk)
    return queued


@shared_task(acks_late=True)
def suspend_overdue_updates() -> int:
    """Daily: suspend certificates still on the old legal basis after their update module's
    deadline; returns how many. Idempotent: a second run finds them suspended."""
    return updates.suspend_overdue()


# --- Dispatch (the outbox's sender) -------------------------------------------------------------


def dispatch(request_id: int) -> bool:
    """Queue the issuance task; if the broker is unreachable, leave it to the sweep.

    Returns whether the task was queued. Never raises: the passing grade is already committed,
    and the collector must not see an error because the broker is down.
    """
    try:
        issue_certificate.delay(request_id)
    except Exception:  # noqa: BLE001 — any broker failure; the sweep retries
        logger.warning("Could not queue issuance %s; the sweep will retry", request_id)
        return False
    IssuanceRequest.objects.filter(pk=request_id).update(dispatched_at=timezone.now())
    return True


def dispatch_pending(now: datetime | None = None) -> int:
    """The sweep: queue every pending request again; returns how many were queued."""
    pending = issuance.pending_requests(now)
    return sum(dispatch(pk) for pk in pending.values_list("pk", flat=True))


# --- Certificates of attendance (attendance.py) ------------------------------------------------


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def issue_attendance_certificates(self, session_id: int) -> int:
    """Issue the certificates of attendance a closed session still lacks; returns how many.

    Safe under retries and duplicate deliveries: each certificate is issued under its
    registration's row lock, and a registration that has one is skipped.
    """
    return len(attendance.issue_for_session(session_id))


@shared_task(acks_late=True)
def sweep_attendance_certificates() -> int:
    """Hourly: queue again the closed sessions whose certificates a lost message never issued."""
    return sum(dispatch_attendance(pk) for pk in attendance.sessions_missing_certificates())


def dispatch_attendance(session_id: int) -> bool:
    """Queue the attendance certificates of a closed session; if the broker is unreachable,
    leave them to the sweep. Never raises: the session's closing is already committed."""
    try:
        issue_attendance_certificates.delay(session_id)
    except Exception:  # noqa: BLE001 — any broker failure; the sweep retries
        logger.warning("Could not queue attendance certificates of session %s", session_id)
        return False
    return True
