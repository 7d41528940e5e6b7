"""Signal receivers: finishing a course can complete a certification; a new certificate is
emailed to its holder."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from courses.signals import course_completed

from . import signals
from .issuance import on_course_completed

logger = logging.getLogger(__name__)


@receiver(course_completed, dispatch_uid="exams.certification_on_course_completed")
def certify_on_course_completed(sender, *, user, course, **kwargs) -> None:
    on_course_completed(user, course)


@receiver(signals.certificate_issued, dispatch_uid="exams.email_issued_certificate")
def email_certificate_on_issue(sender, *, certificate, **kwargs) -> None:
    """Queue the email with the PDF. A broker outage must never break issuance: the hourly
    sweep sends it later, and the holder can download it from "My certificates" meanwhile."""
    from exams.tasks import email_issued_certificate

    try:
        email_issued_certificate.delay(certificate.pk)
    except Exception:  # noqa: BLE001 — any broker (or, when eager, mail) failure
        logger.warning("Could not queue the email for certificate %s", certificate.pk)
