"""Content models: one module per concept."""

from .events import EventIndexPage, EventKind, EventPage, EventSpeaker
from .home import HomePage
from .regulations import Regulation, RegulationChange, RegulationTopic
from .sessions import (
    ATTENDANCE_STATES,
    PLACE_STATES,
    ChangeVia,
    EventSession,
    Registration,
    RegistrationChange,
    RegistrationState,
    RegistrationTransitionError,
    SessionMode,
)

__all__ = [
    "ATTENDANCE_STATES",
    "PLACE_STATES",
    "ChangeVia",
    "EventSession",
    "Registration",
    "RegistrationChange",
    "RegistrationState",
    "RegistrationTransitionError",
    "SessionMode",
    "EventIndexPage",
    "EventKind",
    "EventPage",
    "EventSpeaker",
    "HomePage",
    "Regulation",
    "RegulationChange",
    "RegulationTopic",
]
