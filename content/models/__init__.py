"""Content models: one module per concept."""

from .events import EventIndexPage, EventKind, EventPage, EventSpeaker
from .home import HomePage
from .regulations import Regulation, RegulationChange, RegulationTopic

__all__ = [
    "EventIndexPage",
    "EventKind",
    "EventPage",
    "EventSpeaker",
    "HomePage",
    "Regulation",
    "RegulationChange",
    "RegulationTopic",
]
