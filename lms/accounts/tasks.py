"""Account tasks: outgoing email and periodic housekeeping."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=8,
)
def send_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    from_email: str | None = None,
    html: str | None = None,
) -> None:
    """Send one email, retrying with backoff while the mail server is unreachable.

    Takes plain values, not a message object, so it survives the broker's JSON. A duplicate
    delivery can send a second copy; for verification and reset emails that is harmless.
    """
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@shared_task
def clear_expired_sessions() -> int:
    """Delete expired sessions so the table does not grow forever (Django never does it itself).

    Idempotent: a second run finds nothing to delete. Returns how many rows went.
    """
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
