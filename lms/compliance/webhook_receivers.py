"""Webhooks announce certificate and rating events to the collector's current firm, and a
firm's status changes to the firm and the lenders contracting it.

The senders fire after their transaction commits; the receivers write the deliveries (and the
tasks are queued after that write commits). A failure here is logged and never reaches the
action that caused the event: a certificate is still issued if a webhook row cannot be written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.dispatch import receiver

from exams.certificates import signals as certificate_signals
from exams.certificates.models import CertificateStatus
from lms.accounts.signals import firm_status_changed as firm_status_signal

from . import signals as compliance_signals
from . import webhooks
from .models import WebhookEvent

logger = logging.getLogger(__name__)

STATUS_EVENTS = {
    CertificateStatus.REVOKED: WebhookEvent.CERTIFICATE_REVOKED,
    CertificateStatus.EXPIRED: WebhookEvent.CERTIFICATE_EXPIRED,
    CertificateStatus.SUSPENDED: WebhookEvent.CERTIFICATE_SUSPENDED,
    # Agreed between the certificate modules (issue 13): a change *to* valid is a suspension
    # lifted, whether by reinstatement or by a refreshed certificate replacing a suspended one.
    CertificateStatus.VALID: WebhookEvent.CERTIFICATE_REINSTATED,
}


def safely(announce: Callable[..., int], *args) -> None:
    """Run ``announce`` in a savepoint, logging instead of raising."""
    try:
        with transaction.atomic():
            announce(*args)
    except Exception:
        logger.exception("Could not record webhook deliveries (%s)", announce.__name__)


@receiver(certificate_signals.certificate_issued, dispatch_uid="compliance.webhooks.issued")
def certificate_issued(sender, certificate, **kwargs) -> None:
    safely(webhooks.announce_certificate, certificate, WebhookEvent.CERTIFICATE_ISSUED)


@receiver(certificate_signals.certificate_status_changed, dispatch_uid="compliance.webhooks.status")
def certificate_status_changed(sender, certificate, status, **kwargs) -> None:
    event = STATUS_EVENTS.get(status)  # superseded is not announced: a renewal is "issued"
    if event is not None:
        safely(webhooks.announce_certificate, certificate, event)


@receiver(compliance_signals.rating_changed, dispatch_uid="compliance.webhooks.rating")
def rating_changed(
    sender, user, snapshot, previous_grade=None, previous_score=None, **kwargs
) -> None:
    change = webhooks.RatingChange(
        user_id=user.pk,
        grade=snapshot.grade,
        score=snapshot.score,
        formula_version=snapshot.formula_version,
        changed_at=snapshot.created_at,
        reason=snapshot.reason,
        previous_grade=previous_grade,
        previous_score=previous_score,
    )
    safely(webhooks.announce_ratings, [change])


@receiver(compliance_signals.ratings_changed, dispatch_uid="compliance.webhooks.ratings")
def ratings_changed(sender, changes, **kwargs) -> None:
    """The rating engine's per-chunk signal: one fan-out for the whole chunk (the changes go
    as they are: ``announce_ratings`` reads the same fields)."""
    safely(webhooks.announce_ratings, changes)


@receiver(firm_status_signal, dispatch_uid="compliance.webhooks.firm_status")
def firm_status_changed(sender, firm, change, **kwargs) -> None:
    safely(webhooks.announce_firm_status, firm, change)
