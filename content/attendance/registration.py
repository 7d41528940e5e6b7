"""Registering for event sessions: places, the waitlist, manager approval and bulk booking.

Every function here moves registrations only through :meth:`Registration.change_state`, so
each step is kept as a history row. Capacity holds under concurrency because every function
that can take or free a place first locks the session row (``select_for_update``) and counts
the places inside that transaction: two people cannot both take the last place.

Emails (booking confirmation with the session's .ics, promotion from the waitlist, the
manager's decision) are queued to send after the transaction commits, so a rolled-back change
never emails anyone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import Membership, MembershipRole, User
from lms.accounts.scoping import managed_firm

from ..models import (
    PLACE_STATES,
    ChangeVia,
    EventSession,
    Registration,
    RegistrationState,
)

S = RegistrationState
# States of a registration that is still "on" (it blocks registering again).
ACTIVE_STATES = (S.REQUESTED.value, S.BOOKED.value, S.WAITLISTED.value)


class RegistrationError(Exception):
    """A registration request that cannot be granted; ``message`` is shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def places_taken(session: EventSession) -> int:
    """Places held (booked, attended, partly attended): one query."""
    return session.registrations.filter(state__in=PLACE_STATES).count()


def places_left(session: EventSession) -> int:
    return max(session.capacity - places_taken(session), 0)


def open_places(session: EventSession) -> int:
    """Places a newcomer can take now: none while anyone is on the waitlist.

    A freed place belongs to the waitlist first. Before the session starts a cancellation
    promotes the next person at once; after it has started nobody is promoted, and a late
    registrant must not take the place the people waiting were refused.
    """
    if session.registrations.filter(state=S.WAITLISTED).exists():
        return 0
    return places_left(session)


def _lock(session: EventSession) -> EventSession:
    """The session row, locked until the transaction ends (serialises capacity decisions)."""
    return EventSession.objects.select_for_update().select_related("page").get(pk=session.pk)


def _lock_registration(registration: Registration) -> tuple[Registration, EventSession]:
    """Lock the session first, then the registration (always in this order: no deadlock)."""
    session = _lock(registration.session)
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    locked.session = session
    return locked, session


def refusal(session: EventSession, now: datetime.datetime | None = None) -> str | None:
    """Why nobody can register for ``session`` now, or None when registration is open."""
    now = now or timezone.now()
    if not session.page.live:
        return _("This event is not published.")
    if session.closed_at is not None:
        return _("This session is closed.")
    opens, closes = session.registration_window()
    if opens is not None and now < opens:
        return _("Registration for this session has not opened yet.")
    if now >= closes:
        return _("Registration for this session has closed.")
    return None


def _collector_membership(user: User) -> Membership | None:
    return (
        Membership.objects.active()
        .filter(user=user, role=MembershipRole.COLLECTOR)
        .select_related("firm")
        .first()
    )


def _current_firm(user: User):
    membership = Membership.objects.active().filter(user=user).select_related("firm").first()
    return membership.firm if membership else None


@transaction.atomic
def register(
    session: EventSession,
    user: User,
    *,
    actor: User | None,
    via: str = ChangeVia.SELF,
    now: datetime.datetime | None = None,
) -> Registration:
    """Register ``user`` for ``session``: requested, booked or waitlisted.

    A collector registering themselves for a session that needs their firm manager's approval
    waits for it (requested); a manager's own booking needs none. Otherwise a free place books
    them, and a full session puts them on the waitlist, as does anyone already waiting (they
    are first in line for a freed place, whatever the time). A cancelled registration comes back to
    life (the same row, a new history step). Raises :class:`RegistrationError`.
    """
    session = _lock(session)
    problem = refusal(session, now)
    if problem:
        raise RegistrationError(problem)
    registration = Registration.objects.select_for_update().filter(session=session, user=user)
    existing = registration.first()
    if existing is not None and existing.state != S.CANCELLED:
        raise RegistrationError(_("You are already registered for this session."))

    firm = _current_firm(user)
    if via == ChangeVia.SELF and session.requires_approval and _collector_membership(user):
        to = S.REQUESTED
    elif open_places(session) > 0:
        to = S.BOOKED
    else:
        to = S.WAITLISTED

    if existing is None:
        existing = Registration(session=session, user=user, firm=firm, registered_by=actor)
    else:
        existing.session = session
        existing.firm = firm
        existing.registered_by = actor
        existing.save(update_fields=["firm", "registered_by"])
    existing.change_state(to, via=via, actor=actor)
    if to == S.BOOKED:
        _email_on_commit(existing, "booked")
    elif to == S.WAITLISTED:
        _email_on_commit(existing, "waitlisted")
    return existing


def can_cancel(registration: Registration, user: User) -> bool:
    """The attendee themselves, or a manager of the firm they registered with."""
    if registration.user_id == user.pk:
        return True
    firm = managed_firm(user)
    return firm is not None and registration.firm_id == firm.pk


@transaction.atomic
def cancel(registration: Registration, *, actor: User | None, reason: str = "") -> Registration:
    """Cancel a requested, booked or waitlisted registration; a freed place goes to the first
    person on the waitlist (by when they joined it) in the same transaction."""
    registration, session = _lock_registration(registration)
    if session.closed_at is not None:
        raise RegistrationError(_("This session is closed."))
    if registration.state not in ACTIVE_STATES:
        raise RegistrationError(_("This registration cannot be cancelled any more."))
    held_place = registration.state in PLACE_STATES
    via = (
        ChangeVia.SELF
        if actor is not None and actor.pk == registration.user_id
        else ChangeVia.MANAGER
    )
    registration.change_state(S.CANCELLED, via=via, actor=actor, reason=reason)
    if held_place:
        promote_waitlisted(session)
    return registration


def promote_waitlisted(session: EventSession) -> list[Registration]:
    """Book waitlisted people, first come first served, while places are free.

    The caller holds the session's lock. Sessions that have started promote nobody (a place
    freed during the event is of no use to someone not there).
    """
    promoted: list[Registration] = []
    if session.closed_at is not None or session.start <= timezone.now():
        return promoted
    free = places_left(session)
    if free <= 0:
        return promoted
    waiting = (
        Registration.objects.select_for_update()
        .filter(session=session, state=S.WAITLISTED)
        .order_by("state_changed_at", "pk")[:free]
    )
    for registration in waiting:
        registration.session = session
        registration.change_state(S.BOOKED, via=ChangeVia.PROMOTION)
        _email_on_commit(registration, "promoted")
        promoted.append(registration)
    return promoted


def promote_after_publishing(sender: object, instance: object, **kwargs: object) -> None:
    """Receiver of Wagtail's ``page_published``: a trainer who raised a session's capacity (or
    added a session) and published the event page gives the new places to the waitlist at once,
    first come first served, as a cancellation would."""
    sessions = getattr(instance, "sessions", None)
    if sessions is None:
        return
    for session in sessions.all():
        if session.pk is None:
            continue
        with transaction.atomic():
            promote_waitlisted(_lock(session))


def _require_manager_of(manager: User, registration: Registration) -> None:
    firm = managed_firm(manager)
    if firm is None or registration.firm_id != firm.pk:
        raise PermissionDenied("Not this registration's firm manager.")


@transaction.atomic
def approve(registration: Registration, *, manager: User) -> Registration:
    """A firm manager approves a request: booked if a place is free and nobody is waiting for
    it, else waitlisted."""
    _require_manager_of(manager, registration)
    registration, session = _lock_registration(registration)
    if registration.state != S.REQUESTED:
        raise RegistrationError(_("This request has already been answered."))
    to = S.BOOKED if open_places(session) > 0 else S.WAITLISTED
    registration.change_state(to, via=ChangeVia.APPROVAL, actor=manager)
    _email_on_commit(registration, "approved")
    return registration


@transaction.atomic
def decline(registration: Registration, *, manager: User, reason: str = "") -> Registration:
    """A firm manager declines a request (it becomes cancelled, with the reason kept)."""
    _require_manager_of(manager, registration)
    registration, _session = _lock_registration(registration)
    if registration.state != S.REQUESTED:
        raise RegistrationError(_("This request has already been answered."))
    registration.change_state(S.CANCELLED, via=ChangeVia.APPROVAL, actor=manager, reason=reason)
    _email_on_commit(registration, "declined")
    return registration


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one person of a bulk registration."""

    user: User
    registration: Registration | None
    error: str = ""


def bulk_register(session: EventSession, users: list[User], *, manager: User) -> list[BulkOutcome]:
    """A firm manager registers several of their active collectors; each person separately.

    People who are not an active collector of the manager's firm are refused (and nothing is
    done for them); one person's refusal does not undo the others' bookings.
    """
    firm = managed_firm(manager)
    if firm is None:
        raise PermissionDenied("Only firm managers register staff in bulk.")
    staff_ids = set(
        Membership.objects.active()
        .filter(firm=firm, role=MembershipRole.COLLECTOR)
        .values_list("user_id", flat=True)
    )
    outcomes: list[BulkOutcome] = []
    for user in users:
        if user.pk not in staff_ids:
            outcomes.append(BulkOutcome(user, None, _("Not an active collector of your firm.")))
            continue
        try:
            registration = register(session, user, actor=manager, via=ChangeVia.MANAGER)
        except RegistrationError as error:
            outcomes.append(BulkOutcome(user, None, error.message))
        else:
            outcomes.append(BulkOutcome(user, registration))
    return outcomes


def _email_on_commit(registration: Registration, kind: str) -> None:
    from ..tasks import send_registration_email

    # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
    send_registration_email.delay_on_commit(registration.pk, kind)  # type: ignore[attr-defined]


@dataclass
class SessionRow:
    """One session as the event page shows it to the person looking at it."""

    session: EventSession
    places_left: int  # open to a newcomer: none while anyone is waiting
    refusal: str | None
    registration: Registration | None

    @property
    def can_register(self) -> bool:
        registration = self.registration
        active = registration is not None and registration.state != S.CANCELLED
        return self.session.pk is not None and self.refusal is None and not active

    @property
    def can_cancel(self) -> bool:
        registration = self.registration
        return (
            registration is not None
            and registration.state in ACTIVE_STATES
            and self.session.closed_at is None
        )

    @property
    def checkin_open(self) -> bool:
        registration = self.registration
        return (
            registration is not None
            and registration.state == S.BOOKED
            and self.session.checkin_opened_at is not None
            and self.session.closed_at is None
        )


def session_rows(page, user) -> list[SessionRow]:
    """The page's sessions with the places open to a newcomer and ``user``'s registration: two
    queries.

    Reads the sessions through the page (in memory on a preview, where new sessions have no
    primary key yet and so offer no actions).
    """
    from django.db.models import Count, Q

    sessions = sorted(page.sessions.all(), key=lambda s: (s.start, s.pk is None, s.pk or 0))
    ids = [session.pk for session in sessions if session.pk]
    counts = {
        session_id: (taken, waiting)
        for session_id, taken, waiting in Registration.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(
            taken=Count("pk", filter=Q(state__in=PLACE_STATES)),
            waiting=Count("pk", filter=Q(state=S.WAITLISTED)),
        )
        .values_list("session_id", "taken", "waiting")
    }
    mine: dict[int, Registration] = {}
    if ids and getattr(user, "is_authenticated", False):
        mine = {r.session_id: r for r in Registration.objects.filter(session_id__in=ids, user=user)}
    now = timezone.now()
    rows = []
    for session in sessions:
        session.page = page  # no query per row for refusal()
        registration = mine.get(session.pk) if session.pk else None
        if registration is not None:
            registration.session = session
        taken, waiting = counts.get(session.pk, (0, 0))
        rows.append(
            SessionRow(
                session=session,
                places_left=0 if waiting else max(session.capacity - taken, 0),
                refusal=refusal(session, now),
                registration=registration,
            )
        )
    return rows
