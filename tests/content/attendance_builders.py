"""Registrations in a given state for the attendance report and certificate tests, moved only
through ``Registration.change_state`` (as the services do), without helper services."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from content.models import ChangeVia, EventSession, Registration, RegistrationState
from lms.accounts.models import Firm, User

S = RegistrationState
# The path each final state is reached by (after booking), and how.
PATHS: dict[str, list[tuple[str, str]]] = {
    S.REQUESTED: [],
    S.BOOKED: [],
    S.WAITLISTED: [],
    S.CANCELLED: [(S.CANCELLED, ChangeVia.SELF)],
    S.ATTENDED: [(S.ATTENDED, ChangeVia.QR)],
    S.PARTLY_ATTENDED: [(S.PARTLY_ATTENDED, ChangeVia.TRAINER)],
    S.NO_SHOW: [(S.NO_SHOW, ChangeVia.CLOSING)],
}


def register(
    session: EventSession,
    user: User,
    firm: Firm | None,
    state: str = S.BOOKED,
    *,
    hours: str | None = None,
    reason: str = "",
) -> Registration:
    """``user`` registered under ``firm`` and moved to ``state`` (partly attended: ``hours``)."""
    with transaction.atomic():
        registration = Registration(session=session, user=user, firm=firm, registered_by=user)
        first = state if state in (S.REQUESTED, S.WAITLISTED) else S.BOOKED
        registration.change_state(first, via=ChangeVia.SELF, actor=user)
        for to, via in PATHS[state]:
            if to == S.PARTLY_ATTENDED:
                registration.attended_hours = Decimal(hours or "1.5")
            registration.change_state(to, via=via, actor=user, reason=reason)
    return registration
