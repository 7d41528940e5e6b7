"""Content tasks: registration emails and the reminders the day before a session."""

from __future__ import annotations

import datetime
import smtplib

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .models import EventSession, Registration, RegistrationState
from .models.events import EVENT_TIMEZONE


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=8,
)
def send_registration_email(registration_id: int, kind: str) -> bool:
    """Email the attendee about their registration (``kind``: booked, promoted, approved ...).

    Built from the registration as it is when the task runs; returns whether one was sent. A
    registration since deleted, or no longer in a state the email is about (a "booked",
    "promoted" or reminder email to someone who has cancelled since, "waitlisted" to someone
    already promoted), sends nothing: the email would be false. A duplicate delivery sends a
    second copy, which is harmless for a notice.
    """
    from .attendance.emails import registration_email, still_true

    registration = (
        Registration.objects.select_related("session__page", "user")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or not still_true(registration, kind):
        return False
    registration_email(registration, kind).send()
    return True


def sessions_due_for_reminders(now: datetime.datetime | None = None):
    """Open sessions starting on the next Beijing calendar day whose reminders are unsent."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now, EVENT_TIMEZONE).date() + datetime.timedelta(days=1)
    starts = datetime.datetime.combine(tomorrow, datetime.time.min, tzinfo=EVENT_TIMEZONE)
    return EventSession.objects.filter(
        start__gte=starts,
        start__lt=starts + datetime.timedelta(days=1),
        reminders_sent_at__isnull=True,
        closed_at__isnull=True,
        page__live=True,
    )


def remind_session(session_id: int, now: datetime.datetime | None = None) -> int:
    """Claim the session's reminders (``reminders_sent_at``) and queue one email per booked
    attendee after commit; returns how many. A second run finds it claimed and sends none."""
    with transaction.atomic():
        session = (
            EventSession.objects.select_for_update()
            .filter(pk=session_id, reminders_sent_at__isnull=True)
            .first()
        )
        if session is None:
            return 0
        session.reminders_sent_at = now or timezone.now()
        session.save(update_fields=["reminders_sent_at"])
        ids = list(
            session.registrations.filter(state=RegistrationState.BOOKED).values_list(
                "pk", flat=True
            )
        )
        for registration_id in ids:
            # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
            send_registration_email.delay_on_commit(registration_id, "reminder")  # type: ignore[attr-defined]
    return len(ids)


@shared_task(acks_late=True)
def send_session_reminders() -> int:
    """Daily (09:00 Beijing): remind booked attendees of tomorrow's sessions, once per session.

    Idempotent through ``EventSession.reminders_sent_at``; returns how many emails were queued.
    """
    return sum(
        remind_session(pk) for pk in sessions_due_for_reminders().values_list("pk", flat=True)
    )
