"""Exam tasks: closing attempts whose time ran out while nobody was looking."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def close_abandoned_attempts() -> int:
    """Grade every attempt left open past its deadline (the tab was closed, the phone died).

    Runs every few minutes from beat; idempotent (an attempt is graded once, under its row lock),
    so a redelivered or overlapping run changes nothing. Returns how many attempts it closed.
    """
    from .attempts import close_expired_attempts

    return close_expired_attempts(timezone.now())


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
    from .certificates import issuance

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
    from .certificates import issuance

    return issuance.dispatch_pending()


# --- Certificate lifecycle (exams/certificates/lifecycle.py) --------------------------------------


@shared_task(acks_late=True)
def expire_certificates() -> int:
    """Daily: mark valid certificates past their expiry as expired; returns how many.

    Idempotent: a second run (or a redelivery) finds nothing still valid and past expiry.
    """
    from .certificates import lifecycle

    return lifecycle.expire_certificates()


@shared_task(acks_late=True)
def send_expiry_reminders() -> int:
    """Daily: remind holders 60, 30 and 7 days before expiry; returns how many were queued.

    Each reminder goes out once however often this runs (a unique row per reminder).
    """
    from .certificates import lifecycle

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
    from .certificates import lifecycle

    return lifecycle.email_issued_certificate(certificate_id)


@shared_task(acks_late=True)
def email_unsent_certificates() -> int:
    """Hourly sweep: queue the issuance email of recent certificates whose task was lost
    (the broker was down when they were issued). Returns how many were queued."""
    from .certificates import lifecycle

    queued = 0
    for certificate_id in lifecycle.unsent_issued_emails():
        email_issued_certificate.delay(certificate_id)
        queued += 1
    return queued
