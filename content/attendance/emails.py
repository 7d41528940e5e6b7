"""The emails attendees get about their registration, in their own language.

Booked (with the session's .ics attached), waitlisted, promoted from the waitlist (with the
.ics), the manager's approval or refusal, and the reminder the day before. Built when the task
runs (from primary keys), so what is sent is the registration as it is then.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from ..models import Registration, RegistrationState
from ..models.events import EVENT_TIMEZONE, session_calendar

TEMPLATES = "content/email"
KINDS = ("booked", "waitlisted", "promoted", "approved", "declined", "reminder")
# Emails that confirm a place carry the calendar entry.
WITH_CALENDAR = ("booked", "promoted", "approved", "reminder")
S = RegistrationState
# The states a registration may be in for each email still to be true when it is sent (the
# task runs after the commit, perhaps minutes later on a retry): no "your place is booked" or
# reminder to someone who has cancelled since, no "you are waitlisted" to someone promoted.
STILL_TRUE: dict[str, tuple[str, ...]] = {
    "booked": (S.BOOKED,),
    "waitlisted": (S.WAITLISTED,),
    "promoted": (S.BOOKED,),
    "approved": (S.BOOKED, S.WAITLISTED),
    "declined": (S.CANCELLED,),
    "reminder": (S.BOOKED,),
}


def still_true(registration: Registration, kind: str) -> bool:
    """Whether the email of ``kind`` still says what is so: the registration is in a state
    the email is about, and a session closed since gets no reminder."""
    if kind not in KINDS:
        raise ValueError(f"unknown registration email {kind!r}")
    if kind == "reminder" and registration.session.closed_at is not None:
        return False
    return registration.state in STILL_TRUE[kind]


def _absolute(path: str) -> str:
    return path if "://" in path else settings.SITE_BASE_URL.rstrip("/") + path


def registration_email(registration: Registration, kind: str) -> EmailMessage:
    """The message of ``kind`` (one of :data:`KINDS`) for ``registration``'s attendee."""
    if kind not in KINDS:
        raise ValueError(f"unknown registration email {kind!r}")
    session = registration.session
    event = session.page
    user = registration.user
    page_url = _absolute(event.get_url() or "/")
    with translation.override(getattr(user, "preferred_language", None) or settings.LANGUAGE_CODE):
        start = timezone.localtime(session.start, EVENT_TIMEZONE)
        end = timezone.localtime(session.end, EVENT_TIMEZONE)
        context = {
            "user": user,
            "registration": registration,
            "booked": registration.state == RegistrationState.BOOKED,
            "session": session,
            "event": event,
            "page_url": page_url,
            "when": f"{formats.date_format(start)} {start:%H:%M}–{end:%H:%M}",
            "ics_url": _absolute(reverse("event_registration:session_ics", args=[session.pk])),
        }
        subject = render_to_string(f"{TEMPLATES}/{kind}_subject.txt", context)
        body = render_to_string(f"{TEMPLATES}/{kind}_body.txt", context)
    message = EmailMessage(subject=" ".join(subject.split()), body=body, to=[user.email])
    if kind in WITH_CALENDAR and registration.state == RegistrationState.BOOKED:
        calendar = session_calendar(session, page_url)
        message.attach(f"session-{session.pk}.ics", calendar.to_ical(), "text/calendar")
    return message
