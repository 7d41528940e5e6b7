"""What the trainer does to a session's attendance: open check-in, mark by hand, close.

* :func:`open_checkin` lets attendees check themselves in (``checkin``) from now on, within
  the session's check-in window (``checkin.checkin_window``): it is refused before that
  window opens (an hour before the start), so check-in cannot be opened days early.
* :func:`mark_attendance` records attended, partly attended (with the hours) or no-show for
  one registration, with a reason: the scan that failed, the person who left early, the
  no-show who did come. Not before the session has started (nobody has attended or failed
  to come yet); afterwards, also once closed, as a correction. Corrections follow
  ``TRANSITIONS``; each is a history row and the CPD ledger follows through
  ``attendance_changed``.
* :func:`close_session` ends it: whoever is still booked did not come (no-show), whoever is
  still waiting or awaiting approval is cancelled, and ``session_closed`` is sent in the same
  transaction (certificates of attendance are issued from it). A session closes once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    ChangeVia,
    EventSession,
    Registration,
    RegistrationState,
    RegistrationTransitionError,
)
from ..signals import session_closed
from . import checkin

S = RegistrationState
# What the trainer may mark by hand.
MARKABLE = (S.ATTENDED, S.PARTLY_ATTENDED, S.NO_SHOW)


class AttendanceRefused(ValidationError):
    """A trainer's action that cannot be done; the message says why."""


@dataclass(frozen=True)
class ClosingSummary:
    """What closing a session changed."""

    no_shows: int
    cancelled: int
    attended: int


def open_checkin(
    session: EventSession, *, actor, at: datetime.datetime | None = None
) -> EventSession:
    """Open self check-in (QR and 6-digit codes). Opening it again changes nothing; a closed
    session cannot be reopened (its no-shows are set and certificates may be issued); and it
    cannot be opened before the session's check-in window opens (an hour before the start):
    opened days early it would only invite a scan, and hours credited, before the session."""
    at = at or timezone.now()
    with transaction.atomic():
        session = EventSession.objects.select_for_update().get(pk=session.pk)
        if session.closed_at is not None:
            raise AttendanceRefused(_("This session is closed: check-in cannot be opened again."))
        opens, _ends = checkin.checkin_window(session)
        if at < opens:
            raise AttendanceRefused(
                _(
                    "Check-in can be opened from %(time)s (Beijing time), %(minutes)d minutes "
                    "before the session starts."
                )
                % {
                    "time": checkin.beijing_time(opens, at),
                    "minutes": int(checkin.CHECKIN_OPENS_BEFORE.total_seconds() // 60),
                }
            )
        if session.checkin_opened_at is None:
            session.checkin_opened_at = at
            session.checkin_opened_by = actor
            session.save(update_fields=["checkin_opened_at", "checkin_opened_by"])
    return session


def mark_attendance(
    registration: Registration,
    state: str,
    *,
    actor,
    reason: str,
    hours: Decimal | None = None,
    at: datetime.datetime | None = None,
) -> Registration:
    """The trainer's record of whether someone attended, with a reason (required).

    ``state`` is attended, partly attended (``hours`` more than 0 and at most the session's
    credit hours) or no-show. Allowed from any state ``TRANSITIONS`` allows it from, once the
    session has started (before it, nobody has attended or failed to come), also after the
    session is closed (a correction). Marking the state it already has is refused,
    except partly attended with other hours.
    """
    reason = (reason or "").strip()
    if state not in MARKABLE:
        raise AttendanceRefused(_("Choose attended, partly attended or no-show."))
    if not reason:
        raise AttendanceRefused(_("Give the reason for marking attendance by hand."))
    at = at or timezone.now()
    with transaction.atomic():
        # Lock the registration only, not the session or the person joined to it.
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("session", "user")
            .get(pk=registration.pk)
        )
        session = registration.session
        if at < session.start:
            raise AttendanceRefused(
                _(
                    "The session has not started yet (it starts at %(time)s, Beijing time): "
                    "attendance can be marked once it has begun."
                )
                % {"time": checkin.beijing_time(session.start, at)}
            )
        if state == S.PARTLY_ATTENDED:
            if hours is None or not Decimal(0) < hours <= session.credit_hours:
                raise AttendanceRefused(
                    _("Partly attended needs the hours attended: more than 0 and at most %(max)s.")
                    % {"max": session.credit_hours}
                )
            if registration.state == S.PARTLY_ATTENDED and registration.attended_hours == hours:
                raise AttendanceRefused(_("This registration is already marked so."))
            registration.attended_hours = hours
        elif registration.state == state:
            raise AttendanceRefused(_("This registration is already marked so."))
        try:
            registration.change_state(
                state, via=ChangeVia.TRAINER, actor=actor, reason=reason, at=at
            )
        except RegistrationTransitionError as error:
            raise AttendanceRefused(
                _("A registration that is “%(state)s” cannot be marked “%(to)s”.")
                % {
                    "state": registration.get_state_display(),
                    "to": S(state).label,
                }
            ) from error
    return registration


def close_session(
    session: EventSession, *, actor, at: datetime.datetime | None = None
) -> ClosingSummary:
    """Close the session: booked → no-show, requested or waitlisted → cancelled (history rows,
    ``via`` closing), closed_at/closed_by set, and ``session_closed`` sent in the transaction.

    Refused before the session has started (closing marks absentees) and when it is already
    closed. Attendance can still be corrected afterwards with :func:`mark_attendance`.
    """
    at = at or timezone.now()
    with transaction.atomic():
        session = EventSession.objects.select_for_update().get(pk=session.pk)
        if session.closed_at is not None:
            raise AttendanceRefused(_("This session is already closed."))
        if at < session.start:
            raise AttendanceRefused(
                _("The session has not started yet: it can be closed once it has begun.")
            )
        no_shows = cancelled = 0
        pending = Registration.objects.select_for_update().filter(
            session=session, state__in=[S.BOOKED, S.REQUESTED, S.WAITLISTED]
        )
        for registration in pending.order_by("pk"):
            registration.session = session
            if registration.state == S.BOOKED:
                to, no_shows = S.NO_SHOW, no_shows + 1
            else:
                to, cancelled = S.CANCELLED, cancelled + 1
            registration.change_state(to, via=ChangeVia.CLOSING, actor=actor, at=at)
        session.closed_at = at
        session.closed_by = actor
        session.save(update_fields=["closed_at", "closed_by"])
        attended = Registration.objects.filter(
            session=session, state__in=[S.ATTENDED, S.PARTLY_ATTENDED]
        ).count()
        session_closed.send(sender=EventSession, session=session, actor=actor)
    return ClosingSummary(no_shows=no_shows, cancelled=cancelled, attended=attended)
