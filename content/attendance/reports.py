"""Attendance reports: who came to a session, and how a firm's staff attended across sessions.

Why a module of its own: the trainers' admin pages, the firm managers' pages and their CSV/XLSX
exports all show the same rows, so they read them here. Every function runs a constant number
of queries however many registrations there are (the state counts are one aggregate, the way a
state was reached is a subquery on the history), so a summit with hundreds of attendees costs
what a salon of ten does.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from content.models import (
    ChangeVia,
    EventSession,
    Registration,
    RegistrationChange,
    RegistrationState,
)

S = RegistrationState
# The states reports count, in the order they show them.
COUNTED_STATES = (
    S.REQUESTED,
    S.BOOKED,
    S.WAITLISTED,
    S.ATTENDED,
    S.PARTLY_ATTENDED,
    S.NO_SHOW,
    S.CANCELLED,
)


@dataclass
class Totals:
    """Registrations per state and the hours credited, for a session or a firm."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED_STATES, 0))
    hours: Decimal = Decimal(0)

    @property
    def booked(self) -> int:
        return self.counts[S.BOOKED]

    @property
    def attended(self) -> int:
        return self.counts[S.ATTENDED]

    @property
    def partly(self) -> int:
        return self.counts[S.PARTLY_ATTENDED]

    @property
    def no_show(self) -> int:
        return self.counts[S.NO_SHOW]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, row: AttendanceRow) -> None:
        self.counts[row.state] = self.counts.get(row.state, 0) + 1
        self.hours += row.hours


@dataclass(frozen=True)
class AttendanceRow:
    """One registration as a report shows it (the name unmasked: views mask it if needed)."""

    registration: Registration
    session: EventSession
    event_title: str
    name: str
    firm_id: int | None
    firm_name: str
    state: str
    state_label: str
    checked_in_at: datetime.datetime | None
    hours: Decimal
    via: str
    via_label: str
    reason: str

    @property
    def user_id(self) -> int:
        return self.registration.user_id


@dataclass(frozen=True)
class SessionSummary:
    """A session with its event's title and its registrations counted per state."""

    session: EventSession
    event_title: str
    totals: Totals


def _with_last_change(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    latest = RegistrationChange.objects.filter(registration=OuterRef("pk")).order_by("-at", "-pk")
    return registrations.select_related("user", "firm", "session__page").annotate(
        last_via=Subquery(latest.values("via")[:1]),
        last_reason=Subquery(latest.values("reason")[:1]),
    )


def _row(registration: Registration) -> AttendanceRow:
    via = getattr(registration, "last_via", "") or ""
    user = registration.user
    return AttendanceRow(
        registration=registration,
        session=registration.session,
        event_title=registration.session.page.title,
        name=user.legal_name or user.email,
        firm_id=registration.firm_id,
        firm_name=registration.firm.name if registration.firm else "",
        state=registration.state,
        state_label=str(RegistrationState(registration.state).label),
        checked_in_at=registration.checked_in_at,
        hours=registration.credited_hours,
        via=via,
        via_label=str(ChangeVia(via).label) if via in ChangeVia.values else "",
        reason=getattr(registration, "last_reason", "") or "",
    )


def session_rows(
    session: EventSession, *, firm_ids: Iterable[int] | None = None
) -> list[AttendanceRow]:
    """Each registration for ``session`` (only those of ``firm_ids`` when given), in the order
    they registered: one query."""
    registrations = Registration.objects.filter(session=session)
    if firm_ids is not None:
        registrations = registrations.filter(firm_id__in=list(firm_ids))
    return [_row(registration) for registration in _with_last_change(registrations)]


def firm_rows(
    firm_ids: Iterable[int], *, session: EventSession | None = None
) -> list[AttendanceRow]:
    """The registrations of the firms' staff (the firm they registered under) across sessions,
    latest session first: one query."""
    registrations = Registration.objects.filter(firm_id__in=list(firm_ids))
    if session is not None:
        registrations = registrations.filter(session=session)
    registrations = registrations.order_by("-session__start", "session_id", "created_at", "pk")
    return [_row(registration) for registration in _with_last_change(registrations)]


def totals(rows: Iterable[AttendanceRow]) -> Totals:
    """The rows counted per state, with the hours credited."""
    result = Totals()
    for row in rows:
        result.add(row)
    return result


def session_summaries(
    sessions: QuerySet[EventSession] | None = None, *, firm_ids: Iterable[int] | None = None
) -> list[SessionSummary]:
    """Sessions (latest first) with their registrations counted per state: one query.

    With ``firm_ids``, only those firms' registrations are counted and only sessions that have
    some are listed (a firm manager's view). Hours are not summed here (they depend on each
    partial attendance); the per-session rows carry them.
    """
    sessions = sessions if sessions is not None else EventSession.objects.all()
    scope = Q()
    if firm_ids is not None:
        ids = list(firm_ids)
        scope = Q(registrations__firm_id__in=ids)
        sessions = sessions.filter(registrations__firm_id__in=ids).distinct()
    annotations = {
        f"count_{state.value}": Count(
            "registrations", filter=scope & Q(registrations__state=state.value), distinct=True
        )
        for state in COUNTED_STATES
    }
    sessions = sessions.select_related("page").annotate(**annotations).order_by("-start", "-pk")
    summaries = []
    for session in sessions:
        counted = Totals(
            counts={state: getattr(session, f"count_{state}") for state in COUNTED_STATES}
        )
        summaries.append(SessionSummary(session, session.page.title, counted))
    return summaries
