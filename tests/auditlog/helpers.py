"""Assertions shared by the audit-log tests: what a service wrote to the chain."""

from __future__ import annotations

from typing import Any

from lms.auditlog.models import AuditEvent
from lms.auditlog.verification import verify_database


def events_of(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("seq"))


def one_event(event_type: str, **expected: Any) -> AuditEvent:
    """The single event of ``event_type``; each ``expected`` field must match, and the whole
    chain must still verify."""
    events = events_of(event_type)
    assert len(events) == 1, f"{len(events)} {event_type} events: {events}"
    event = events[0]
    for name, value in expected.items():
        assert getattr(event, name) == value, (name, getattr(event, name), value)
    result = verify_database()
    assert result.ok, (result.first_bad_seq, result.problem)
    return event
